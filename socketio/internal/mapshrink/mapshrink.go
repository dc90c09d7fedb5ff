// Package mapshrink rebuilds Go maps that have emptied after a peak. A Go map never
// gives back its buckets: one that held 10,000 sessions during a burst keeps their
// slots after they are gone. Rebuilding it (copying the survivors into a fresh map)
// once its length falls to a quarter of its peak returns them to the GC; the copy costs
// O(survivors), paid for by the three times as many deletions before it.
package mapshrink

// Peak is the bookkeeping of one map: the largest length it reached since it was last
// built, and how many times it was rebuilt. The zero value is ready; it is guarded by
// the lock of its map.
type Peak struct {
	max      int
	rebuilds int
}

// Grew records the map's length after an insertion.
func (p *Peak) Grew(n int) {
	if n > p.max {
		p.max = n
	}
}

// Rebuilds returns how many times the map was rebuilt (tests, metrics).
func (p *Peak) Rebuilds() int { return p.rebuilds }

// Shrink is called after a deletion from m: once m's length is a quarter of a peak of at
// least minPeak or less, it returns a fresh copy of m (the caller replaces m with it)
// and the peak restarts from the copy's length; otherwise it returns m.
func Shrink[K comparable, V any](m map[K]V, p *Peak, minPeak int) map[K]V {
	if p.max < minPeak || len(m) > p.max/4 {
		return m
	}
	fresh := make(map[K]V, len(m))
	for k, v := range m {
		fresh[k] = v
	}
	p.max = len(m)
	p.rebuilds++
	return fresh
}
