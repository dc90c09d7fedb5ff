package parser

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// validate runs the scanner over a whole JSON text.
func validate(data string, maxDepth int) error {
	var s scanner
	s.reset([]byte(data), maxDepth)
	for {
		k, _, _, err := s.next()
		if err != nil || k == tokEOF {
			return err
		}
	}
}

func TestScannerAgreesWithEncodingJSON(t *testing.T) {
	inputs := []string{
		`0`, `-0`, `1.5e+10`, `-1.0E-2`, `1e5`, `"x"`, `""`, `true`, `false`, `null`,
		`[]`, `{}`, ` [ 1 , 2 ] `, `{"a":1,"b":[true,false,null],"c":{"d":"e"}}`,
		`"\u00e9\ud83d\ude00\n\"\\\/\b\f\r\t"`, `"\ud800"`, `"é😀"`, "\t\r\n1\n",
		`01`, `1.`, `.5`, `1e`, `1e+`, `+1`, `-`, `--1`, `0x10`, `Infinity`, `NaN`,
		`[1,]`, `[,1]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{1:2}`, `{'a':1}`, `["a"`, `[1 2]`,
		`{"a":1 "b":2}`, `"\x"`, `"\u12"`, `"\u12G4"`, "\"a\x01\"", `tru`, `nul`, `truex`,
		`[1]]`, `[[1]`, `}`, `]`, ``, ` `, `1 2`, `"a" "b"`, `[]x`, `{}{}`, `{"a":1}}`,
	}
	for _, in := range inputs {
		got := validate(in, 100) == nil
		if want := json.Valid([]byte(in)); got != want {
			t.Errorf("%q: scanner valid=%v, encoding/json valid=%v", in, got, want)
		}
	}
}

func TestScannerStrictUTF8(t *testing.T) {
	for _, in := range []string{"\"\xff\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "\"\xe2\x82\"", "[\"ok\",\"\xc0\xaf\"]"} {
		if err := validate(in, 10); !errors.Is(err, ErrInvalidJSON) {
			t.Errorf("%q: %v, want ErrInvalidJSON", in, err)
		}
	}
}

func TestScannerDepth(t *testing.T) {
	tests := []struct {
		in    string
		depth int
		ok    bool
	}{
		{`1`, 1, true},
		{`[]`, 1, true},
		{`[[]]`, 1, false},
		{`[[]]`, 2, true},
		{`{"a":[{"b":1}]}`, 3, true},
		{`{"a":[{"b":1}]}`, 2, false},
		{strings.Repeat("[", 1024) + strings.Repeat("]", 1024), MaxDepthLimit, true},
		{strings.Repeat("[", 1025) + strings.Repeat("]", 1025), MaxDepthLimit + 5, false},
		{strings.Repeat("[", 33) + strings.Repeat("]", 33), 0, false}, // default 32
		{strings.Repeat("[", 32) + strings.Repeat("]", 32), 0, true},
	}
	for _, tt := range tests {
		err := validate(tt.in, tt.depth)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrTooDeep)) {
			t.Errorf("len %d depth %d: %v, want ok=%v", len(tt.in), tt.depth, err, tt.ok)
		}
	}
}

// TestScannerMixedStack checks that the object/array bit stack survives more than
// 64 levels of alternating containers.
func TestScannerMixedStack(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 200; i++ {
		if i%3 == 0 {
			b.WriteString(`{"k":`)
		} else {
			b.WriteString(`[`)
		}
	}
	b.WriteString(`1`)
	for i := 199; i >= 0; i-- {
		if i%3 == 0 {
			b.WriteString(`}`)
		} else {
			b.WriteString(`]`)
		}
	}
	if err := validate(b.String(), 200); err != nil {
		t.Fatal(err)
	}
	if err := validate(b.String()[:b.Len()-1]+"]", 200); err == nil {
		t.Fatal("mismatched close accepted")
	}
}

func TestScannerAllocs(t *testing.T) {
	in := []byte(`{"a":[1,2,{"b":"\u00e9"}],"c":null}`)
	var s scanner
	n := testing.AllocsPerRun(100, func() {
		s.reset(in, 32)
		for {
			if k, _, _, err := s.next(); err != nil || k == tokEOF {
				return
			}
		}
	})
	if n != 0 {
		t.Fatalf("scanner allocs = %v", n)
	}
}
