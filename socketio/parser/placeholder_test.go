package parser_test

import (
	"errors"
	"testing"

	"rtserver/socketio/parser"
)

func TestPlaceholder(t *testing.T) {
	for n, want := range map[int]string{0: ph0, 1: ph1, 42: `{"_placeholder":true,"num":42}`} {
		if got := string(parser.Placeholder(n)); got != want {
			t.Errorf("Placeholder(%d) = %s, want %s", n, got, want)
		}
		if got, ok := parser.ParsePlaceholder([]byte(want)); !ok || got != n {
			t.Errorf("ParsePlaceholder(%s) = %d, %v", want, got, ok)
		}
	}
}

func TestParsePlaceholder(t *testing.T) {
	tests := []struct {
		in  string
		num int
		ok  bool
	}{
		{`{"num":3,"_placeholder":true}`, 3, true},
		{`{ "_placeholder" : true , "num" : 7 }`, 7, true},
		{`{"_placeholde\u0072":true,"num":1}`, 1, true},
		{`{"_placeholder":true,"num":1.0}`, 0, false},
		{`{"_placeholder":true,"num":-1}`, 0, false},
		{`{"_placeholder":true,"num":"1"}`, 0, false},
		{`{"_placeholder":true,"num":"splice"}`, 0, false},
		{`{"_placeholder":false,"num":1}`, 0, false},
		{`{"_placeholder":true,"num":1,"x":2}`, 0, false},
		{`{"_placeholder":true,"num":1}x`, 0, false},
		{`{"a":{"_placeholder":true,"num":0}}`, 0, false},
		{`{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":1}`, 0, false},
		{`[{"_placeholder":true,"num":0}]`, 0, false},
		{`"{\"_placeholder\":true,\"num\":0}"`, 0, false},
		{`{}`, 0, false},
	}
	for _, tt := range tests {
		num, ok := parser.ParsePlaceholder([]byte(tt.in))
		if num != tt.num || ok != tt.ok {
			t.Errorf("ParsePlaceholder(%s) = %d, %v; want %d, %v", tt.in, num, ok, tt.num, tt.ok)
		}
	}
}

func TestValidatePlaceholders(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want error
	}{
		{`["a"]`, 0, nil},
		{`{"x":[` + ph1 + `,{"y":` + ph0 + `}]}`, 2, nil},
		{`[` + ph0 + `,` + ph0 + `]`, 1, nil},
		{`[` + ph0 + `]`, 0, parser.ErrInvalidPlaceholder},
		{`[` + ph1 + `]`, 1, parser.ErrInvalidPlaceholder},
		{`[` + ph0 + `]`, 2, parser.ErrInvalidPlaceholder},
		{`[{"_placeholder":true,"num":0,"more":{}}]`, 1, parser.ErrInvalidPlaceholder},
		{`[1,`, 1, parser.ErrInvalidJSON},
		{`[]`, -1, parser.ErrTooManyAttachments},
		{`[]`, parser.MaxAttachmentsLimit + 1, parser.ErrTooManyAttachments},
	}
	for _, tt := range tests {
		if err := parser.ValidatePlaceholders([]byte(tt.in), tt.n, 0); !errors.Is(err, tt.want) && err != tt.want {
			t.Errorf("ValidatePlaceholders(%s, %d) = %v, want %v", tt.in, tt.n, err, tt.want)
		}
	}
}
