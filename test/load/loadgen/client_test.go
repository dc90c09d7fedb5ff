package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestIntAfter(t *testing.T) {
	tests := []struct {
		in   string
		key  string
		want int64
		ok   bool
	}{
		{`42["msg",{"s":3,"t":1700000000123456789,"text":"x"}]`, `"t":`, 1700000000123456789, true},
		{`42["msg",{"s":3,"t":1}]`, `"s":`, 3, true},
		{`42["msg",{"s":3}]`, `"t":`, 0, false},
		{`42["msg",{"t":"x"}]`, `"t":`, 0, false},
		{``, `"t":`, 0, false},
	}
	for _, tt := range tests {
		got, ok := intAfter([]byte(tt.in), []byte(tt.key))
		if got != tt.want || ok != tt.ok {
			t.Errorf("intAfter(%q, %q) = %d, %v; want %d, %v", tt.in, tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

// TestWaitQuiet: waitQuiet returns at once when the last message is older than
// quiet, waits while messages keep coming, and gives up at max.
func TestWaitQuiet(t *testing.T) {
	ctx := context.Background()
	old := func() int64 { return time.Now().Add(-time.Second).UnixNano() }
	if !waitQuiet(ctx, old, 300*time.Millisecond, time.Hour) {
		t.Error("not quiet with the last message a second ago")
	}
	now := func() int64 { return time.Now().UnixNano() }
	if waitQuiet(ctx, now, 300*time.Millisecond, 50*time.Millisecond) {
		t.Error("quiet while messages keep arriving")
	}
	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	stop := time.Now().Add(300 * time.Millisecond)
	go func() {
		for time.Now().Before(stop) {
			last.Store(time.Now().UnixNano())
			time.Sleep(5 * time.Millisecond)
		}
	}()
	if !waitQuiet(ctx, last.Load, 200*time.Millisecond, time.Hour) {
		t.Fatal("never quiet after the messages stopped")
	}
	if time.Now().Before(stop) {
		t.Error("returned while messages were still arriving")
	}
}
