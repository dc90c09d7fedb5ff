package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	get := func(m metrics) (float64, bool) { return m.handshakesPerSec, m.handshakesPerSec > 0 }
	ms := func(vs ...float64) []metrics {
		var out []metrics
		for _, v := range vs {
			out = append(out, metrics{handshakesPerSec: v})
		}
		return out
	}
	for _, c := range []struct {
		in   []metrics
		want float64
		ok   bool
	}{
		{ms(3, 1, 2), 2, true},
		{ms(4, 1, 3, 2), 2.5, true},
		{ms(0, 7, 0), 7, true}, // rounds without a value do not count
		{ms(0), 0, false},
		{nil, 0, false},
	} {
		got, ok := median(c.in, get)
		if got != c.want || ok != c.ok {
			t.Errorf("median(%v) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestReportMedianOfRounds: with several rounds the table shows each server's median
// and the ratio of the medians, and says so in its title.
func TestReportMedianOfRounds(t *testing.T) {
	r := results{}
	for _, cpu := range []time.Duration{100, 80, 300} { // go: median 100 µs
		r.put("connect", "go", metrics{handshakesPerSec: 1000, cpuPerHandshake: cpu * time.Microsecond})
	}
	for _, cpu := range []time.Duration{400, 500, 390} { // node: median 400 µs
		r.put("connect", "node", metrics{handshakesPerSec: 300, cpuPerHandshake: cpu * time.Microsecond})
	}
	var out bytes.Buffer
	r.print(&out, config{servers: []string{"go", "node"}, rounds: 3})
	s := out.String()
	if !strings.Contains(s, "medians of 3 rounds") {
		t.Errorf("title does not say medians:\n%s", s)
	}
	var line string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "server CPU per handshake") {
			line = l
		}
	}
	for _, want := range []string{"100µs", "400µs", "0.25x"} {
		if !strings.Contains(line, want) {
			t.Errorf("CPU per handshake row %q lacks %s", line, want)
		}
	}
}
