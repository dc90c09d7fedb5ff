package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// results holds metrics by scenario and server, one per round.
type results map[string]map[string][]metrics

func (r results) put(scenario, server string, m metrics) {
	if r[scenario] == nil {
		r[scenario] = map[string][]metrics{}
	}
	r[scenario][server] = append(r[scenario][server], m)
}

// median returns the median of get over the rounds where it has a value (the mean of
// the middle two for an even count); false when none has.
func median(rounds []metrics, get func(m metrics) (float64, bool)) (float64, bool) {
	var vs []float64
	for _, m := range rounds {
		if v, ok := get(m); ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	if n := len(vs); n%2 == 0 {
		return (vs[n/2-1] + vs[n/2]) / 2, true
	}
	return vs[len(vs)/2], true
}

// row is one line of the report: a metric for each server, the Go/Floor and Go/Node ratios
// and their targets (the Product/Node product ratio's target is in productTargets).
type row struct {
	scenario, name string
	get            func(m metrics) (float64, bool)
	format         func(v float64) string
	node, floor    target // zero: informational
}

// target bounds a Go/other ratio: at most ratio, or at least ratio when atLeast.
type target struct {
	ratio   float64
	atLeast bool
}

func (t target) String() string {
	switch {
	case t.ratio == 0:
		return ""
	case t.atLeast:
		return fmt.Sprintf(">= %gx", t.ratio)
	default:
		return fmt.Sprintf("<= %gx", t.ratio)
	}
}

// productTargets bounds the Product/Node product ratio (cmd/server against
// test/load/nodeproduct.mjs, both on /chat with a JWT per client) by row name; rows not
// listed are informational. The product kinds run connect and idle only.
var productTargets = map[string]target{
	"server CPU per handshake":        {0.3, false},
	"server RSS per connection (KiB)": {0.5, false},
}

func dur(d time.Duration) (float64, bool) { return float64(d), d > 0 }

func fmtDur(v float64) string { return time.Duration(v).Round(time.Microsecond / 10).String() }

func fmtNum(v float64) string { return fmt.Sprintf("%.0f", v) }

func fmt1(v float64) string { return fmt.Sprintf("%.1f", v) }

func (r results) print(w io.Writer, cfg config) {
	rows := []row{
		{"connect", "handshakes/s", func(m metrics) (float64, bool) { return m.handshakesPerSec, m.handshakesPerSec > 0 }, fmtNum, target{5, true}, target{}},
		{"connect", "server CPU per handshake", func(m metrics) (float64, bool) { return dur(m.cpuPerHandshake) }, fmtDur, target{0.3, false}, target{}},
		{"connect", "load generator CPU %", func(m metrics) (float64, bool) { return m.clientCPUPct, m.handshakesPerSec > 0 }, fmtNum, target{}, target{}},
		{"idle", "server RSS per connection (KiB)", func(m metrics) (float64, bool) { return m.rssPerConn / 1024, m.rssLoaded > 0 }, fmt1, target{0.5, false}, target{}},
		{"idle", "server RSS with all connected (MiB)", func(m metrics) (float64, bool) { return mib(m.rssLoaded), m.rssLoaded > 0 }, fmt1, target{}, target{}},
		{"idle", "server RSS before the burst (MiB)", func(m metrics) (float64, bool) { return mib(m.rssBase), m.rssBase > 0 }, fmt1, target{}, target{}},
		{"idle", "RSS after the burst closed / before", func(m metrics) (float64, bool) {
			return float64(m.rssAfter) / float64(m.rssBase), m.rssAfter > 0 && m.rssBase > 0
		}, func(v float64) string { return fmt.Sprintf("%.2f", v) }, target{}, target{}},
		{"idle", "seconds until within 1.5x (or watch end)", func(m metrics) (float64, bool) { return m.rssAfterWait.Seconds(), m.rssAfter > 0 }, fmtNum, target{}, target{}},
	}
	eq := []float64{}
	for _, rounds := range r["fanout"] {
		for _, ms := range rounds {
			for _, e := range ms.equal {
				if !slices.Contains(eq, e.deliveries) {
					eq = append(eq, e.deliveries)
				}
			}
		}
	}
	slices.Sort(eq)
	at := func(d float64, f func(e equalStep) (float64, bool)) func(m metrics) (float64, bool) {
		return func(m metrics) (float64, bool) {
			for _, e := range m.equal {
				if e.deliveries == d {
					return f(e)
				}
			}
			return 0, false
		}
	}
	for i, d := range eq {
		node := target{}
		if i == 0 {
			node = target{0.33, false}
		}
		rows = append(rows,
			row{"fanout", fmt.Sprintf("server CPU per delivery @ %.0f/s", d), at(d, func(e equalStep) (float64, bool) { return dur(e.cpuPer) }), fmtDur, node, target{1.15, false}},
			row{"fanout", fmt.Sprintf("server CPU %% of a core @ %.0f/s", d), at(d, func(e equalStep) (float64, bool) { return e.cpuPct, e.cpuPer > 0 }), fmt1, target{}, target{}},
			row{"fanout", fmt.Sprintf("p99 latency @ %.0f/s", d), at(d, func(e equalStep) (float64, bool) { return dur(e.p99) }), fmtDur, target{1, false}, target{}},
		)
	}
	rows = append(rows,
		row{"fanout", "max deliveries/s with p99 < limit", func(m metrics) (float64, bool) { return m.maxDeliveries, m.maxDeliveries > 0 }, fmtNum, target{}, target{0.9, true}},
		row{"fanout", "p99 at that max", func(m metrics) (float64, bool) { return dur(m.p99AtMax) }, fmtDur, target{}, target{}},
		row{"fanout", "load generator CPU % @ first equal rate", func(m metrics) (float64, bool) { return m.clientCPUPct, m.cpuPerDelivered > 0 }, fmtNum, target{}, target{}},
		row{"pairs", "p99 latency", func(m metrics) (float64, bool) { return dur(m.p99Pairs) }, fmtDur, target{1, false}, target{}},
		row{"pairs", "server CPU (% of one core)", func(m metrics) (float64, bool) { return m.cpuPairsPct, m.p99Pairs > 0 }, fmt1, target{}, target{}},
		row{"pairs", "server CPU per message", func(m metrics) (float64, bool) { return dur(m.cpuPerPairMsg) }, fmtDur, target{}, target{}},
	)
	rounds := ""
	if cfg.rounds > 1 {
		rounds = fmt.Sprintf("; medians of %d rounds", cfg.rounds)
	}
	fmt.Fprintf(w, "\nLoad results (LOAD_SCALE=%g: connect %d, idle %d, fanout %d clients @ equal %v deliveries/s, pairs %d clients; p99 limit %v%s)\n",
		cfg.scale, cfg.connects, cfg.idle, cfg.fanoutClients, cfg.equalDeliv, cfg.pairClients, cfg.p99Limit, rounds)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tmetric\tGo\tFloor\tNode\tProduct\tNode product\tGo/Floor\ttarget\tmet\tGo/Node\ttarget\tmet\tProduct/Node product\ttarget\tmet")
	met, missed := 0, 0
	for _, rw := range rows {
		ms, ok := r[rw.scenario]
		if !ok {
			continue
		}
		cell := func(srv string) string {
			if v, ok := median(ms[srv], rw.get); ok {
				return rw.format(v)
			}
			for _, m := range ms[srv] {
				if m.err != "" {
					return "error"
				}
			}
			return "-"
		}
		ratio := func(srv, other string, t target) (string, string) {
			if !slices.Contains(cfg.servers, srv) || !slices.Contains(cfg.servers, other) {
				return "-", "" // not asked for in this run: no target to count
			}
			gv, gok := median(ms[srv], rw.get)
			ov, ook := median(ms[other], rw.get)
			if !gok || !ook || ov <= 0 {
				if t.ratio != 0 {
					missed++
					return "-", "n/a"
				}
				return "-", ""
			}
			q := gv / ov
			if t.ratio == 0 {
				return fmt.Sprintf("%.2fx", q), ""
			}
			if (t.atLeast && q >= t.ratio) || (!t.atLeast && q <= t.ratio) {
				met++
				return fmt.Sprintf("%.2fx", q), "yes"
			}
			missed++
			return fmt.Sprintf("%.2fx", q), "NO"
		}
		fq, fv := ratio("go", "floor", rw.floor)
		nq, nv := ratio("go", "node", rw.node)
		pt := target{}
		if rw.scenario == "connect" || rw.scenario == "idle" {
			pt = productTargets[rw.name]
		}
		pq, pv := ratio("product", "nodeproduct", pt)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", rw.scenario, rw.name,
			cell("go"), cell("floor"), cell("node"), cell("product"), cell("nodeproduct"),
			fq, rw.floor, fv, nq, rw.node, nv, pq, pt, pv)
	}
	tw.Flush()
	for _, sc := range []string{"connect", "idle", "fanout", "pairs"} {
		for _, srv := range serverKinds {
			for i, m := range r[sc][srv] {
				round := ""
				if len(r[sc][srv]) > 1 {
					round = fmt.Sprintf(" (round %d)", i+1)
				}
				if m.err != "" {
					fmt.Fprintf(w, "  %s/%s error%s: %s\n", sc, srv, round, m.err)
				}
				if sc == "fanout" && m.stopReason != "" {
					fmt.Fprintf(w, "  fanout/%s rate search stopped%s: %s\n", srv, round, m.stopReason)
				}
			}
		}
	}
	fmt.Fprintf(w, "Go = the engine (test/load/goserver), Floor = test/load/floorserver, Node = socket.io 4.8.4 (test/load/nodeserver.mjs), all on / with one fixed token;\n"+
		"Product = cmd/server, Node product = socket.io 4.8.4 (test/load/nodeproduct.mjs), both on /chat with one minted JWT per client (connect and idle only)\n")
	fmt.Fprintf(w, "targets: %d met, %d not met (ratios are Go/Floor, Go/Node and Product/Node product from this run; not a pass/fail test)\n", met, missed)
}
