package main

import (
	"os"
	"testing"
	"time"
)

func TestHistogramQuantile(t *testing.T) {
	h := newHistogram()
	if got := h.quantile(0.99); got != 0 {
		t.Fatalf("empty histogram p99 = %v, want 0", got)
	}
	for i := 1; i <= 100; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 50*time.Millisecond + histBucket},
		{0.99, 99*time.Millisecond + histBucket},
		{1, 100*time.Millisecond + histBucket},
	}
	for _, tt := range tests {
		if got := h.quantile(tt.q); got != tt.want {
			t.Errorf("quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestHistogramClamps(t *testing.T) {
	h := newHistogram()
	h.record(-time.Second)
	h.record(time.Hour)
	if got := h.quantile(0.5); got != histBucket {
		t.Errorf("negative sample: p50 = %v, want %v", got, histBucket)
	}
	if got := h.quantile(1); got < histMax {
		t.Errorf("huge sample: p100 = %v, want >= %v", got, histMax)
	}
}

func TestReadProcSelf(t *testing.T) {
	ps, err := readProc(os.Getpid(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if ps.rss <= 0 {
		t.Errorf("rss = %d, want > 0", ps.rss)
	}
	if ps.cpu < 0 {
		t.Errorf("cpu = %v, want >= 0", ps.cpu)
	}
	if _, err := readProc(-1, 100); err == nil {
		t.Error("readProc(-1): want an error")
	}
}
