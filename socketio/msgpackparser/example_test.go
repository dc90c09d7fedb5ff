package msgpackparser_test

import (
	"encoding/hex"
	"fmt"

	"rtserver/socketio"
	"rtserver/socketio/msgpackparser"
	"rtserver/socketio/parser"
)

// A server whose clients use socket.io-msgpack-parser, and the one binary message
// an event with a binary argument becomes on the wire.
func Example() {
	srv, err := socketio.NewServer(socketio.Config{Parser: msgpackparser.Parser})
	if err != nil {
		panic(err)
	}
	_ = srv // mount it as usual; clients: io(url, { parser: require("socket.io-msgpack-parser") })

	p := &parser.Packet{Type: parser.BinaryEvent, Nsp: "/", ID: parser.NoID,
		Data: []byte(`["file",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{0xca, 0xfe}}}
	msg, binary, more, _ := msgpackparser.Parser.AppendEncode(nil, p)
	fmt.Println(binary, len(more), len(msg))
	fmt.Println(hex.EncodeToString(msg))
	// Output:
	// true 0 28
	// 83a47479706502a46461746192a466696c65c402cafea36e7370a12f
}
