package socketio

import (
	"slices"
	"testing"
)

func TestMembers(t *testing.T) {
	var nilSet *members
	if nilSet.len() != 0 || len(slices.Collect(nilSet.all())) != 0 {
		t.Fatal("a nil set is not empty")
	}
	m := newMembers(1)
	if !m.add("a") || m.add("a") || !m.add("") || !m.add("b") {
		t.Fatal("add: wrong report")
	}
	got := slices.Sorted(m.all())
	if want := []string{"", "a", "b"}; !slices.Equal(got, want) || m.len() != 3 {
		t.Fatalf("members %q (len %d), want %q", got, m.len(), want)
	}
	if !m.remove("a") || m.remove("a") || m.contains("a") || !m.contains("") {
		t.Fatal("remove of the inline member")
	}
	if !m.add("c") || !m.contains("c") || m.len() != 3 { // fills the inline place again
		t.Fatalf("add after remove: len %d", m.len())
	}
	for _, s := range []string{"", "b", "c"} {
		if !m.remove(s) {
			t.Fatalf("remove %q", s)
		}
	}
	if m.len() != 0 || m.more != nil || m.has {
		t.Fatalf("emptied set holds one %q (has %v), more %v", m.one, m.has, m.more)
	}
}

// TestMembersGrowsFromSliceToMap walks a set through its three forms (inline member,
// slice of the next fewMax, map beyond) and back, checking contents at each step.
func TestMembersGrowsFromSliceToMap(t *testing.T) {
	for _, presize := range []int{1, 4, fewMax + 5} {
		m := newMembers(presize)
		var want []string
		check := func(step string) {
			t.Helper()
			got := slices.Sorted(m.all())
			w := slices.Sorted(slices.Values(want))
			if !slices.Equal(got, w) || m.len() != len(w) {
				t.Fatalf("presize %d, %s: members %q (len %d), want %q", presize, step, got, m.len(), w)
			}
			for _, s := range w {
				if !m.contains(s) {
					t.Fatalf("presize %d, %s: %q not contained", presize, step, s)
				}
			}
		}
		for i := range fewMax + 4 {
			s := string(rune('a' + i))
			if !m.add(s) || m.add(s) {
				t.Fatalf("add %q: wrong report", s)
			}
			want = append(want, s)
			check("add " + s)
		}
		if presize <= fewMax+1 && m.few != nil {
			t.Fatalf("presize %d: %d members still in the slice, want them in the map", presize, len(m.few))
		}
		for len(want) > 0 {
			s := want[len(want)/2]
			if !m.remove(s) || m.remove(s) || m.contains(s) {
				t.Fatalf("remove %q: wrong report", s)
			}
			want = slices.DeleteFunc(want, func(x string) bool { return x == s })
			check("remove " + s)
		}
		if m.has || m.few != nil || m.more != nil {
			t.Fatalf("presize %d: emptied set keeps has %v, few %q, more %v", presize, m.has, m.few, m.more)
		}
	}

	// Removing from the slice keeps the rest, whichever place the member had.
	m := newMembers(1)
	for _, s := range []string{"own", "x", "y", "z"} {
		m.add(s)
	}
	if !m.remove("x") || !m.contains("y") || !m.contains("z") || m.contains("x") || m.len() != 3 {
		t.Fatalf("after removing x: %q", slices.Sorted(m.all()))
	}
}
