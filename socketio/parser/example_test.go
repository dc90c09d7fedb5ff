package parser_test

import (
	"fmt"

	"rtserver/socketio/parser"
)

// Example decodes a binary event with its two attachment frames (as they arrive
// after the Engine.IO "4" prefix is stripped) and encodes the echo reply.
func Example() {
	d := parser.NewDecoder(parser.DecoderConfig{})
	frames := []struct {
		data   []byte
		binary bool
	}{
		{[]byte(`52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`), false},
		{[]byte{1, 2, 3}, true},
		{[]byte{4, 5, 6}, true},
	}
	var in *parser.Packet
	for _, f := range frames {
		p, err := d.Add(f.data, f.binary)
		if err != nil {
			fmt.Println("close connection:", err)
			return
		}
		if p != nil {
			in = p
		}
	}
	args, _ := parser.SplitArray(in.Data, 0)
	name, _ := parser.Unquote(args[0])
	fmt.Println(in.Type, name, len(args)-1, "args", len(in.Attachments), "attachments")

	args[0] = parser.AppendString(nil, "message-back")
	out := &parser.Packet{
		Type:        parser.BinaryEvent,
		Nsp:         in.Nsp,
		ID:          parser.NoID,
		Data:        parser.AppendArray(nil, args),
		Attachments: in.Attachments,
	}
	fmt.Printf("4%s + %v\n", parser.Encode(out), out.Attachments)
	// Output:
	// BINARY_EVENT message 2 args 2 attachments
	// 452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}] + [[1 2 3] [4 5 6]]
}

// ExampleDecoder_Add shows a rejected packet: the caller closes the connection
// and can count the rejection by its code.
func ExampleDecoder_Add() {
	d := parser.NewDecoder(parser.DecoderConfig{})
	_, err := d.Add([]byte(`2["disconnect","123"]`), false)
	fmt.Println(err, parser.ErrorCode(err))
	// Output: socketio/parser: reserved event name reserved_event
}
