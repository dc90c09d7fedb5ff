package streams

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/vmihailenco/msgpack/v5"

	"rtserver/socketio"
	"rtserver/socketio/internal/clusterwire"
	"rtserver/socketio/internal/msgpackjson"
	"rtserver/socketio/parser"
)

// Message types of socket.io-adapter's ClusterAdapter, as @socket.io/redis-streams-adapter
// 0.3.x writes them: the "type" field of stream entries (3 to 6) and of pub/sub
// messages (3 with a requestId, 7 to 12).
const (
	typeBroadcast         = 3  // {packet, opts}; on pub/sub with requestId: acks wanted
	typeSocketsJoin       = 4  // {opts, rooms}
	typeSocketsLeave      = 5  // {opts, rooms}
	typeDisconnectSockets = 6  // {opts, close}
	typeFetchSockets      = 7  // {opts, requestId}
	typeFetchResponse     = 8  // {requestId, sockets}
	typeServerSideEmit    = 9  // {packet: [event, ...args], requestId?}
	typeServerSideResp    = 10 // {requestId, packet: first ack argument}
	typeBroadcastCount    = 11 // {requestId, clientCount}
	typeBroadcastAck      = 12 // {requestId, packet: first ack argument}
)

// message is a decoded stream entry or pub/sub message: data as JSON whose binary
// parts are placeholders for atts.
type message struct {
	UID  string          `json:"uid"`
	Nsp  string          `json:"nsp"`
	Type int             `json:"type"`
	Data json.RawMessage `json:"data"`
	atts [][]byte
	seq  uint64 // a stream entry's number from its writer; 0 when it has none
}

// body is the union of the data objects of every message type.
type body struct {
	Packet      json.RawMessage      `json:"packet,omitempty"`
	Opts        *clusterwire.Opts    `json:"opts,omitempty"`
	Rooms       []string             `json:"rooms,omitempty"`
	Close       bool                 `json:"close,omitempty"`
	RequestID   string               `json:"requestId,omitempty"`
	ClientCount int                  `json:"clientCount,omitempty"`
	Sockets     []clusterwire.Socket `json:"sockets,omitempty"`
}

// wirePacket is socket.io's unencoded packet as the adapter forwards it.
type wirePacket struct {
	Type int             `json:"type"`
	Data json.RawMessage `json:"data"`
	Nsp  string          `json:"nsp,omitempty"`
}

// entryValues are the fields of a stream entry, in Node's order: uid, nsp, type, data.
// data is JSON, or the base64 of its msgpack form when it carries binary.
//
// seq numbers the entries of one writer (a Go node's Cluster), from 1: a writer
// that lost the answer to an XADD cannot tell whether Redis applied it, so it
// sends it again, and readers drop an entry whose seq they have seen from that
// uid (Cluster.duplicate). Node's adapter writes no seq and ignores the field.
func entryValues(uid, nsp string, seq uint64, typ int, data []byte, atts [][]byte) ([]any, error) {
	d := string(data)
	if len(atts) > 0 {
		var buf bytes.Buffer
		if err := msgpackjson.Encode(msgpack.NewEncoder(&buf), data, atts); err != nil {
			return nil, err
		}
		d = base64.StdEncoding.EncodeToString(buf.Bytes())
	}
	return []any{"uid", uid, "nsp", nsp, "type", strconv.Itoa(typ), "data", d, "seq", strconv.FormatUint(seq, 10)}, nil
}

// decodeEntry reads the fields of a stream entry.
func decodeEntry(v map[string]any) (*message, error) {
	str := func(k string) string { s, _ := v[k].(string); return s }
	m := &message{UID: str("uid"), Nsp: str("nsp")}
	m.seq, _ = strconv.ParseUint(str("seq"), 10, 64) // 0: none (Node's entries)
	t, err := strconv.Atoi(str("type"))
	if err != nil {
		return nil, errors.New("streams: entry without type")
	}
	m.Type = t
	d := str("data")
	switch {
	case d == "":
	case d[0] == '{' || d[0] == '[':
		m.Data = json.RawMessage(d)
	default:
		raw, err := base64.StdEncoding.DecodeString(d)
		if err != nil {
			return nil, err
		}
		if m.Data, m.atts, err = msgpackjson.ToJSON(raw); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// encodeMessage is a pub/sub message: msgpack {type, data, uid, nsp}, binary as bin.
func encodeMessage(uid, nsp string, typ int, data []byte, atts [][]byte) ([]byte, error) {
	js := make([]byte, 0, len(data)+64)
	js = append(js, `{"type":`...)
	js = strconv.AppendInt(js, int64(typ), 10)
	js = append(js, `,"data":`...)
	js = append(js, data...)
	js = append(js, `,"uid":`...)
	js = parser.AppendString(js, uid)
	js = append(js, `,"nsp":`...)
	js = parser.AppendString(js, nsp)
	js = append(js, '}')
	var buf bytes.Buffer
	if err := msgpackjson.Encode(msgpack.NewEncoder(&buf), js, atts); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeMessage(b []byte) (*message, error) {
	js, atts, err := msgpackjson.ToJSON(b)
	if err != nil {
		return nil, err
	}
	m := &message{atts: atts}
	return m, json.Unmarshal(js, m)
}

func (m *message) body() (*body, error) {
	b := &body{}
	if len(m.Data) == 0 {
		return b, nil
	}
	return b, json.Unmarshal(m.Data, b)
}

// packetJSON is {"type":2,"data":[...]} for event packet p (its placeholders kept).
func packetJSON(p *parser.Packet) []byte {
	b := make([]byte, 0, len(p.Data)+24)
	b = append(b, `{"type":2,"data":`...)
	b = append(b, p.Data...)
	return append(b, '}')
}

// toPacket turns a received packet object into an event packet of namespace nsp,
// checked like one from a client.
func toPacket(raw json.RawMessage, atts [][]byte, nsp string) (*parser.Packet, error) {
	var wp wirePacket
	if err := json.Unmarshal(raw, &wp); err != nil {
		return nil, err
	}
	if wp.Type != int(parser.Event) && wp.Type != int(parser.BinaryEvent) {
		return nil, errors.New("streams: not an event packet")
	}
	data := []byte(wp.Data)
	if _, err := socketio.ParseArgs(data, atts, 0); err != nil {
		return nil, err
	}
	if len(data) < 3 || data[0] != '[' || data[1] != '"' {
		return nil, errors.New("streams: event without a name")
	}
	p := &parser.Packet{Type: parser.Event, Nsp: nsp, ID: parser.NoID, Data: data}
	if len(atts) > 0 {
		p.Type, p.Attachments = parser.BinaryEvent, atts
	}
	return p, nil
}

// eventData splits [event, ...args].
func eventData(raw json.RawMessage, atts [][]byte) (string, socketio.Args, error) {
	elems, err := parser.SplitArray(raw, 0)
	if err != nil || len(elems) == 0 {
		return "", socketio.Args{}, errors.New("streams: bad serverSideEmit data")
	}
	event, ok := parser.Unquote(elems[0])
	if !ok {
		return "", socketio.Args{}, errors.New("streams: serverSideEmit without event name")
	}
	args, err := socketio.ParseArgs(parser.AppendArray(nil, elems[1:]), atts, 0)
	return event, args, err
}

// valueArgs wraps one value (an ack's first argument) as Args.
func valueArgs(val json.RawMessage, atts [][]byte) (socketio.Args, error) {
	if len(val) == 0 {
		val = json.RawMessage("null")
	}
	arr := make([]byte, 0, len(val)+2)
	arr = append(append(append(arr, '['), val...), ']')
	return socketio.ParseArgs(arr, atts, 0)
}

// firstArg is the first argument of args (null when none), as Node forwards acks.
func firstArg(args socketio.Args) json.RawMessage {
	if first := args.Raw(0); first != nil {
		return first
	}
	return json.RawMessage("null")
}

// marshal is json.Marshal for bodies whose RawMessages are known valid.
func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only types of this file, with valid raw JSON
	}
	return b
}
