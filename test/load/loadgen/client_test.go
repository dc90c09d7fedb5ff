package main

import "testing"

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
