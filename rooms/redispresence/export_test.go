package redispresence

// Crash stops p as a crashed node would: the loop ends and its entries stay
// in Redis until they expire.
func (p *Presence) Crash() {
	p.noDepart = true
	p.Close()
}

// LocalLen returns the number of this node's arrivals kept locally.
func (p *Presence) LocalLen() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.local)
}
