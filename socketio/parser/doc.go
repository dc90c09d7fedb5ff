// Package parser is the Socket.IO v5 packet codec (with the v4 differences that
// socket.io-client 2.x needs), written from the public Socket.IO protocol document.
//
// A Socket.IO packet travels inside an Engine.IO message packet. This package sees
// only the message payload: the text part without the Engine.IO "4" prefix, and,
// for BINARY_EVENT and BINARY_ACK, the binary frames that follow it.
//
// Wire form of the text part:
//
//	<type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
//
// Payloads are kept as raw JSON bytes: the codec never re-encodes them, so key
// order, number forms and string escapes reach the other side exactly as they
// were written. The JSON scanner is iterative (no recursion), strict (RFC 8259,
// UTF-8 only), bounded in depth, and allocates nothing on its own.
//
// Concurrency: Encode, AppendEncode and the JSON helpers are pure functions and
// safe for concurrent use. A Decoder holds the state of one connection (a text
// packet waiting for its binary frames) and must be used by one goroutine at a
// time, which is the connection's read loop. Packets returned by a Decoder alias
// the byte slices fed to it; the caller owns both afterwards.
package parser
