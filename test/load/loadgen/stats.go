package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// histBucket is the latency histogram resolution; histMax the largest latency kept exactly
// (longer ones land in the last bucket, which still counts as "over 250 ms").
const (
	histBucket = 100 * time.Microsecond
	histMax    = 30 * time.Second
)

// histogram counts latencies in fixed 100 µs buckets with atomic adds, so every read loop
// can record without locks and without keeping samples.
type histogram struct {
	buckets []atomic.Uint64
	count   atomic.Uint64
}

func newHistogram() *histogram {
	return &histogram{buckets: make([]atomic.Uint64, int(histMax/histBucket)+1)}
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	i := int(d / histBucket)
	if i >= len(h.buckets) {
		i = len(h.buckets) - 1
	}
	h.buckets[i].Add(1)
	h.count.Add(1)
}

// quantile returns the upper edge of the bucket holding quantile q (0 < q <= 1).
func (h *histogram) quantile(q float64) time.Duration {
	total := h.count.Load()
	if total == 0 {
		return 0
	}
	want := uint64(float64(total)*q + 0.999999)
	var seen uint64
	for i := range h.buckets {
		seen += h.buckets[i].Load()
		if seen >= want {
			return time.Duration(i+1) * histBucket
		}
	}
	return histMax
}

// procStat is a process's CPU time and resident memory, read from /proc.
type procStat struct {
	cpu time.Duration // utime + stime, every thread
	rss int64         // bytes (VmRSS)
}

// readProc reads /proc/<pid>/stat and /proc/<pid>/status; clkTck is sysconf(_SC_CLK_TCK).
func readProc(pid int, clkTck int64) (procStat, error) {
	var ps procStat
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ps, err
	}
	// the command name (field 2) may hold spaces; fields are counted after its ")"
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ps, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15
	if len(f) < 13 {
		return ps, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return ps, fmt.Errorf("bad cpu fields in /proc/%d/stat", pid)
	}
	ps.cpu = time.Duration((ut + st) * int64(time.Second) / clkTck)
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ps, err
	}
	for _, line := range strings.Split(string(s), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return ps, fmt.Errorf("bad VmRSS %q", v)
			}
			ps.rss = kb * 1024
		}
	}
	return ps, nil
}
