package handlers

import "testing"

// sweptLen returns how many sweep marks the tracker keeps.
func (t *Tracker) sweptLen() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.sweptUser) + len(t.sweptToken) + len(t.sweptSession)
}

// TestTrackerForgetsSweepsNoTicketPredates: the marks of the sweeps stay
// only while a connect that began before them is pending, so logouts and
// kicks with no connect in flight leave nothing behind.
func TestTrackerForgetsSweepsNoTicketPredates(t *testing.T) {
	tr := NewTracker()
	for range 100 {
		tr.DisconnectUser("u1")
		tr.DisconnectCredential("j1", "s1")
	}
	if n := tr.sweptLen(); n != 0 {
		t.Fatalf("%d marks kept with no ticket pending", n)
	}

	old := tr.Begin()
	tr.DisconnectUser("u1") // old predates it
	young := tr.Begin()
	tr.DisconnectCredential("j1", "s1") // both predate it
	if n := tr.sweptLen(); n != 3 {
		t.Fatalf("%d marks kept, want 3 (user, token, session)", n)
	}
	old.Release()
	tr.DisconnectUser("u2") // prunes: young is after u1's sweep
	if n := tr.sweptLen(); n != 3 {
		t.Errorf("%d marks after the old ticket went, want 3 (j1, s1, u2)", n)
	}
	if tr.Add(young, "/#a", "u1", "n", "j9", "s9", func() {}) != true {
		t.Error("u1's sweep before young's ticket refused it")
	}
	if n := tr.sweptLen(); n != 0 {
		t.Errorf("%d marks kept after the last ticket was spent", n)
	}
	if len(tr.pending) != 0 {
		t.Errorf("pending = %v", tr.pending)
	}
}
