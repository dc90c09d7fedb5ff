package redispresence

import "testing"

func TestQueueMemberRoundTrip(t *testing.T) {
	for _, k := range []roomUser{
		{"lobby", "alice"},
		{"dm:a:b", "a"},
		{"12:x", "3:y"},
		{"@online", "u"},
		{"r", "ü:{x}"},
	} {
		got, ok := parseQueueMember(queueMember(k))
		if !ok || got != k {
			t.Errorf("round trip of %+v: %+v %v", k, got, ok)
		}
	}
	for _, s := range []string{"", "lobby", ":ab", "0:ab", "x:ab", "5:ab", "2:ab", "-1:ab"} {
		if k, ok := parseQueueMember(s); ok {
			t.Errorf("parseQueueMember(%q) = %+v, want failure", s, k)
		}
	}
}
