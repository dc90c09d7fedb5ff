package socketio

import "testing"

// TestSocketSetGet: values stored by Set are found by their key, a second Set of
// a key replaces its value, keys of other types with the same underlying value
// do not collide, and an unknown key reads nil.
func TestSocketSetGet(t *testing.T) {
	type keyA struct{}
	type keyB struct{}
	type name string
	s := &Socket{}
	if got := s.Get(keyA{}); got != nil {
		t.Fatalf("Get before Set = %v, want nil", got)
	}
	s.Set(keyA{}, 1)
	s.Set(keyB{}, "b")
	s.Set(name("x"), "typed")
	s.Set("x", "untyped")
	s.Set(keyA{}, 2)
	for _, c := range []struct{ key, want any }{
		{keyA{}, 2}, {keyB{}, "b"}, {name("x"), "typed"}, {"x", "untyped"}, {"y", nil},
	} {
		if got := s.Get(c.key); got != c.want {
			t.Errorf("Get(%#v) = %v, want %v", c.key, got, c.want)
		}
	}
	if len(s.values) != 4 {
		t.Errorf("%d values kept, want 4 (a second Set replaces)", len(s.values))
	}
}
