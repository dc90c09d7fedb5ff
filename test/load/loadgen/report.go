package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// results holds metrics by scenario and server.
type results map[string]map[string]metrics

func (r results) put(scenario, server string, m metrics) {
	if r[scenario] == nil {
		r[scenario] = map[string]metrics{}
	}
	r[scenario][server] = m
}

// row is one line of the report: a metric for Go and Node, their ratio and the target.
type row struct {
	scenario, name string
	get            func(m metrics) (float64, bool)
	format         func(v float64) string
	target         string  // "" = informational
	targetRatio    float64 // ratio bound
	atLeast        bool    // ratio must be >= targetRatio (else <=)
}

func dur(d time.Duration) (float64, bool) { return float64(d), d > 0 }

func fmtDur(v float64) string { return time.Duration(v).Round(time.Microsecond / 10).String() }

func fmtNum(v float64) string { return fmt.Sprintf("%.0f", v) }

func (r results) print(w io.Writer, cfg config) {
	rows := []row{
		{"connect", "handshakes/s", func(m metrics) (float64, bool) { return m.handshakesPerSec, m.handshakesPerSec > 0 }, fmtNum, ">= 5x", 5, true},
		{"connect", "server CPU per handshake", func(m metrics) (float64, bool) { return dur(m.cpuPerHandshake) }, fmtDur, "", 0, false},
		{"connect", "load generator CPU %", func(m metrics) (float64, bool) { return m.clientCPUPct, m.handshakesPerSec > 0 }, fmtNum, "", 0, false},
		{"idle", "server RSS per connection (KiB)", func(m metrics) (float64, bool) { return m.rssPerConn / 1024, m.rssLoaded > 0 }, func(v float64) string { return fmt.Sprintf("%.1f", v) }, "<= 0.5x", 0.5, false},
		{"idle", "server RSS with all connected (MiB)", func(m metrics) (float64, bool) { return mib(m.rssLoaded), m.rssLoaded > 0 }, func(v float64) string { return fmt.Sprintf("%.1f", v) }, "", 0, false},
		{"fanout", "server CPU per delivered msg @ equal rate", func(m metrics) (float64, bool) { return dur(m.cpuPerDelivered) }, fmtDur, "<= 0.33x", 0.33, false},
		{"fanout", "p99 latency @ equal rate", func(m metrics) (float64, bool) { return dur(m.p99Equal) }, fmtDur, "<= 1x", 1, false},
		{"fanout", "max deliveries/s with p99 < limit", func(m metrics) (float64, bool) { return m.maxDeliveries, m.maxDeliveries > 0 }, fmtNum, "", 0, false},
		{"fanout", "p99 at that max", func(m metrics) (float64, bool) { return dur(m.p99AtMax) }, fmtDur, "", 0, false},
		{"fanout", "load generator CPU % @ equal rate", func(m metrics) (float64, bool) { return m.clientCPUPct, m.cpuPerDelivered > 0 }, fmtNum, "", 0, false},
		{"pairs", "p99 latency", func(m metrics) (float64, bool) { return dur(m.p99Pairs) }, fmtDur, "<= 1x", 1, false},
		{"pairs", "server CPU (% of one core)", func(m metrics) (float64, bool) { return m.cpuPairsPct, m.p99Pairs > 0 }, func(v float64) string { return fmt.Sprintf("%.1f", v) }, "", 0, false},
		{"pairs", "server CPU per message", func(m metrics) (float64, bool) { return dur(m.cpuPerPairMsg) }, fmtDur, "", 0, false},
	}
	fmt.Fprintf(w, "\nLoad results (LOAD_SCALE=%g: connect %d, idle %d, fanout %d clients @ equal %.0f deliveries/s, pairs %d clients; p99 limit %v)\n",
		cfg.scale, cfg.connects, cfg.idle, cfg.fanoutClients, cfg.equalDeliv, cfg.pairClients, cfg.p99Limit)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tmetric\tGo\tNode\tGo/Node\ttarget\tmet")
	met, missed := 0, 0
	for _, rw := range rows {
		ms, ok := r[rw.scenario]
		if !ok {
			continue
		}
		gv, gok := rw.get(ms["go"])
		nv, nok := rw.get(ms["node"])
		cell := func(v float64, ok bool, m metrics) string {
			if ok {
				return rw.format(v)
			}
			if m.err != "" {
				return "error"
			}
			return "-"
		}
		ratio, verdict := "-", ""
		if gok && nok && nv > 0 {
			q := gv / nv
			ratio = fmt.Sprintf("%.2fx", q)
			if rw.target != "" {
				pass := q <= rw.targetRatio
				if rw.atLeast {
					pass = q >= rw.targetRatio
				}
				if pass {
					verdict, met = "yes", met+1
				} else {
					verdict, missed = "NO", missed+1
				}
			}
		} else if rw.target != "" {
			verdict, missed = "n/a", missed+1
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", rw.scenario, rw.name, cell(gv, gok, ms["go"]), cell(nv, nok, ms["node"]), ratio, rw.target, verdict)
	}
	tw.Flush()
	for _, sc := range []string{"connect", "idle", "fanout", "pairs"} {
		for _, srv := range []string{"go", "node"} {
			m := r[sc][srv]
			if m.err != "" {
				fmt.Fprintf(w, "  %s/%s error: %s\n", sc, srv, m.err)
			}
			if sc == "fanout" && m.stopReason != "" {
				fmt.Fprintf(w, "  fanout/%s rate search stopped: %s\n", srv, m.stopReason)
			}
		}
	}
	fmt.Fprintf(w, "targets: %d met, %d not met (ratios are Go/Node from this run; not a pass/fail test)\n", met, missed)
}
