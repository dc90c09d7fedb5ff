package parser_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"runtime"
	"testing"
	"unicode/utf8"

	"rtserver/socketio/parser"
)

// splitMessages turns fuzz input into Engine.IO messages: chunks separated by 0x1e;
// a chunk starting with 'b' is a binary frame (the rest of the chunk).
func splitMessages(in []byte) []msg {
	var out []msg
	for _, c := range bytes.Split(in, []byte{0x1e}) {
		if len(c) > 0 && c[0] == 'b' {
			out = append(out, msg{string(c[1:]), true})
		} else {
			out = append(out, msg{string(c), false})
		}
	}
	return out
}

func joinMessages(msgs []msg) []byte {
	var b []byte
	for i, m := range msgs {
		if i > 0 {
			b = append(b, 0x1e)
		}
		if m.binary {
			b = append(b, 'b')
		}
		b = append(b, m.data...)
	}
	return b
}

func FuzzDecoder(f *testing.F) {
	for _, c := range decodeCases {
		f.Add(joinMessages(c.in), false)
	}
	for _, c := range badCases {
		if len(joinMessages(c.in)) < 4096 {
			f.Add(joinMessages(c.in), true)
		}
	}
	f.Add([]byte(`0/admin?token=x,{"a":1}`), true)
	f.Add([]byte(`4"no"`), true)
	f.Fuzz(func(t *testing.T, in []byte, legacy bool) {
		msgs := splitMessages(in)
		frames := make([][]byte, len(msgs))
		for i, m := range msgs {
			frames[i] = []byte(m.data)
		}
		cfg := parser.DecoderConfig{Legacy: legacy}
		var packets []*parser.Packet
		var errs []error
		// Allocation is bounded by the input: per message at most the Packet, the
		// namespace and query strings and the attachment slice. The counters are
		// process-wide and the fuzzing engine allocates too (more so on a loaded
		// machine), so the smallest of up to 20 runs is checked.
		maxMallocs := uint64(4*len(msgs) + 16)
		maxBytes := uint64(2*len(in) + 512*len(msgs) + 4096)
		var mallocs, bytesAlloc uint64
		for attempt := 0; attempt < 20; attempt++ {
			d := parser.NewDecoder(cfg)
			packets = make([]*parser.Packet, 0, len(msgs))
			errs = make([]error, 0, len(msgs))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for i, m := range msgs {
				p, err := d.Add(frames[i], m.binary)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if p != nil {
					packets = append(packets, p)
				}
			}
			runtime.ReadMemStats(&after)
			mallocs, bytesAlloc = after.Mallocs-before.Mallocs, after.TotalAlloc-before.TotalAlloc
			if mallocs <= maxMallocs && bytesAlloc <= maxBytes {
				break
			}
		}
		if mallocs > maxMallocs || bytesAlloc > maxBytes {
			t.Fatalf("%d allocations, %d bytes for %d messages of %d bytes", mallocs, bytesAlloc, len(msgs), len(in))
		}

		for _, err := range errs {
			if !errors.Is(err, parser.ErrInvalid) || parser.ErrorCode(err) == "" {
				t.Fatalf("error %v is not a codec error", err)
			}
		}
		for _, p := range packets {
			checkPacket(t, p, cfg)
		}
	})
}

// checkPacket checks the invariants of a decoded packet and that encoding it and
// decoding again gives the same packet.
func checkPacket(t *testing.T, p *parser.Packet, cfg parser.DecoderConfig) {
	t.Helper()
	if !p.Type.Valid() || p.Nsp == "" || p.Nsp[0] != '/' {
		t.Fatalf("bad packet %+v", p)
	}
	if p.Data != nil && !json.Valid(p.Data) {
		t.Fatalf("invalid JSON accepted: %q", p.Data)
	}
	if p.Type.Binary() != (len(p.Attachments) > 0) {
		t.Fatalf("attachments %d for %v", len(p.Attachments), p.Type)
	}
	if p.Type == parser.Event || p.Type == parser.BinaryEvent {
		args, err := parser.SplitArray(p.Data, 0)
		if err != nil || len(args) == 0 {
			t.Fatalf("event data %q: %v", p.Data, err)
		}
		name, ok := parser.Unquote(args[0])
		if !ok || parser.IsReservedEvent(name) {
			t.Fatalf("event name %q accepted", args[0])
		}
	}
	d := parser.NewDecoder(cfg)
	q, err := d.Add(parser.Encode(p), false)
	for i := 0; err == nil && i < len(p.Attachments); i++ {
		q, err = d.Add(p.Attachments[i], true)
	}
	if err != nil || q == nil {
		t.Fatalf("re-decode of %q: %v", parser.Encode(p), err)
	}
	if q.Type != p.Type || q.Nsp != p.Nsp || q.Query != p.Query || q.ID != p.ID ||
		!bytes.Equal(q.Data, p.Data) || len(q.Attachments) != len(p.Attachments) {
		t.Fatalf("round trip changed the packet:\n%+v\n%+v", p, q)
	}
}

func FuzzSplitArray(f *testing.F) {
	seeds := []string{
		`[]`, `["message",1,"2",{"3":[true]}]`, ` [ "a b" , { "k" : [ 1 , "x y" ] } ] `,
		`[1,]`, `[`, `{}`, `["\u00e9\"\\"]`, `[[[[[[]]]]]]`, "[\"\xff\"]", `[1e5,-0.5,null,true,false]`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		const depth = 64
		elems, err := parser.SplitArray(in, depth)
		valid := json.Valid(in) && utf8.Valid(in)
		isArray := len(bytes.TrimLeft(in, " \t\r\n")) > 0 && bytes.TrimLeft(in, " \t\r\n")[0] == '['
		if err != nil {
			if !errors.Is(err, parser.ErrInvalid) {
				t.Fatalf("error %v is not a codec error", err)
			}
			if valid && isArray && maxDepth(in) <= depth {
				t.Fatalf("valid array %q rejected: %v", in, err)
			}
			return
		}
		if !valid || !isArray {
			t.Fatalf("accepted %q (json.Valid %v)", in, valid)
		}
		joined := parser.AppendArray(nil, elems)
		var want bytes.Buffer
		if err := json.Compact(&want, in); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(joined, want.Bytes()) {
			t.Fatalf("AppendArray(SplitArray(%q)) = %q, want %q", in, joined, want.Bytes())
		}
		again, err := parser.SplitArray(joined, depth)
		if err != nil || len(again) != len(elems) {
			t.Fatalf("compact form %q: %v", joined, err)
		}
		for i := range elems {
			if !bytes.Equal(again[i], elems[i]) {
				t.Fatalf("element %d: %q vs %q", i, again[i], elems[i])
			}
		}
	})
}

// maxDepth returns the deepest nesting of a valid JSON text.
func maxDepth(in []byte) int {
	depth, best, inString := 0, 0, false
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			best = max(best, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return best
}
