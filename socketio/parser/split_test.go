package parser_test

import (
	"errors"
	"strings"
	"testing"

	"rtserver/socketio/parser"
)

func TestSplitArray(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`[]`, nil},
		{` [ ] `, nil},
		{`["message",1,"2",{"3":[true]}]`, []string{`"message"`, `1`, `"2"`, `{"3":[true]}`}},
		{`[ "a b" , { "k" : [ 1 , "x y" ] } ,null , -1.5e3 ]`, []string{`"a b"`, `{"k":[1,"x y"]}`, `null`, `-1.5e3`}},
		{`[{"b":1,"a":2},[],{},"\u00e9\"\\ ",1.0]`, []string{`{"b":1,"a":2}`, `[]`, `{}`, `"\u00e9\"\\ "`, `1.0`}},
		{"[\n\t{\"a\":\"\\\" \" }\r\n]", []string{`{"a":"\" "}`}},
		{`[[[1]],2]`, []string{`[[1]]`, `2`}},
		{`[` + ph0 + `]`, []string{ph0}},
	}
	for _, tt := range tests {
		got, err := parser.SplitArray([]byte(tt.in), 32)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if len(got) != len(tt.want) {
			t.Fatalf("%q: %d elements %q, want %d", tt.in, len(got), got, len(tt.want))
		}
		for i := range got {
			if string(got[i]) != tt.want[i] {
				t.Fatalf("%q: element %d = %s, want %s", tt.in, i, got[i], tt.want[i])
			}
			if cap(got[i]) != len(got[i]) {
				t.Fatalf("%q: element %d has spare capacity; appending would overwrite", tt.in, i)
			}
		}
		compact := strings.Join(tt.want, ",")
		if back := parser.AppendArray(nil, got); string(back) != "["+compact+"]" {
			t.Fatalf("AppendArray = %s", back)
		}
	}
}

func TestSplitArrayRejects(t *testing.T) {
	tests := []struct {
		in    string
		depth int
		want  error
	}{
		{``, 32, parser.ErrInvalidJSON},
		{`{}`, 32, parser.ErrInvalidPayload},
		{`"a"`, 32, parser.ErrInvalidPayload},
		{`[1,]`, 32, parser.ErrInvalidJSON},
		{`[1] 2`, 32, parser.ErrInvalidJSON},
		{`[1`, 32, parser.ErrInvalidJSON},
		{`[[1]]`, 1, parser.ErrTooDeep},
		{strings.Repeat("[", 1<<20), 32, parser.ErrTooDeep},
		{strings.Repeat("[", 40) + strings.Repeat("]", 40), 0, parser.ErrTooDeep},
	}
	for _, tt := range tests {
		prefix := [][]byte{[]byte("keep")}
		got, err := parser.AppendSplitArray(prefix, []byte(tt.in), tt.depth)
		if !errors.Is(err, tt.want) {
			t.Errorf("%.40q: %v, want %v", tt.in, err, tt.want)
		}
		if len(got) != 1 || string(got[0]) != "keep" {
			t.Errorf("%.40q: dst changed on error: %q", tt.in, got)
		}
	}
}

func TestSplitArrayAliases(t *testing.T) {
	raw := []byte(`["a",{"b":1}]`)
	got, err := parser.SplitArray(raw, 32)
	if err != nil {
		t.Fatal(err)
	}
	if &got[0][0] != &raw[1] || &got[1][0] != &raw[5] {
		t.Fatal("compact elements were copied")
	}
}

func TestAppendSplitArrayAllocs(t *testing.T) {
	raw := []byte(`["message",1,"2",{"3":[true]}]`)
	dst := make([][]byte, 0, 8)
	n := testing.AllocsPerRun(100, func() {
		var err error
		if dst, err = parser.AppendSplitArray(dst[:0], raw, 32); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("AppendSplitArray into a large enough slice: %v allocs", n)
	}
}
