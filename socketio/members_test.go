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
