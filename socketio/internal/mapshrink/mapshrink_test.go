package mapshrink

import "testing"

func TestShrinkAtAQuarterOfThePeak(t *testing.T) {
	m := map[int]int{}
	var p Peak
	for i := range 2000 {
		m[i] = i
		p.Grew(len(m))
	}
	for i := range 1499 { // 501 left: over a quarter of 2000
		delete(m, i)
		if m = Shrink(m, &p, 1024); p.Rebuilds() != 0 {
			t.Fatalf("rebuilt with %d of a 2000 peak left", len(m))
		}
	}
	delete(m, 1499)
	m = Shrink(m, &p, 1024)
	if p.Rebuilds() != 1 {
		t.Fatalf("rebuilds = %d with 500 of a 2000 peak left, want 1", p.Rebuilds())
	}
	if len(m) != 500 {
		t.Fatalf("len = %d after the rebuild, want 500", len(m))
	}
	for i := 1500; i < 2000; i++ {
		if m[i] != i {
			t.Fatalf("m[%d] = %d after the rebuild", i, m[i])
		}
	}
	// The peak restarts from 500: below minPeak, so no further rebuild.
	for i := 1500; i < 1990; i++ {
		delete(m, i)
		m = Shrink(m, &p, 1024)
	}
	if p.Rebuilds() != 1 {
		t.Fatalf("rebuilds = %d below minPeak, want 1", p.Rebuilds())
	}
}

func TestShrinkNotBelowMinPeak(t *testing.T) {
	m := map[string]bool{}
	var p Peak
	for i := range 1000 {
		m[string(rune(i+1))] = true
		p.Grew(len(m))
	}
	for k := range m {
		delete(m, k)
		m = Shrink(m, &p, 1024)
	}
	if p.Rebuilds() != 0 {
		t.Fatalf("rebuilds = %d for a peak of 1000 < 1024", p.Rebuilds())
	}
}
