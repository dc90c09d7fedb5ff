package redisadapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/vmihailenco/msgpack/v5"

	"rtserver/socketio"
	"rtserver/socketio/internal/clusterwire"
	"rtserver/socketio/internal/msgpackjson"
	"rtserver/socketio/parser"
)

// Request types of @socket.io/redis-adapter 8.x, the "type" field of messages on the
// request and response channels.
const (
	reqSockets          = 0 // ids of the sockets in rooms; answered {requestId, sockets}
	reqAllRooms         = 1 // every room; answered {requestId, rooms}
	reqRemoteJoin       = 2 // opts+rooms (or the legacy sid+room, answered {requestId})
	reqRemoteLeave      = 3
	reqRemoteDisconnect = 4 // opts+close (or the legacy sid+close, answered {requestId})
	reqRemoteFetch      = 5 // answered {requestId, sockets: [{id, handshake, rooms, data}]}
	reqServerSideEmit   = 6 // data: [event, ...args]; with a requestId the sender wants acks
	reqBroadcast        = 7 // packet+opts with acks: answered by the two types below
	resBroadcastCount   = 8 // {type, requestId, clientCount}: one per node
	resBroadcastAck     = 9 // {type, requestId, packet}: one per ack, packet = its first argument
)

// channels are the Redis channels of one namespace.
type channels struct {
	broadcast   string // key#nsp#, and key#nsp#room# for a broadcast to exactly one room
	pattern     string // key#nsp#* (glob-escaped)
	request     string // key-request#nsp#
	response    string // key-response#nsp#
	ownResponse string // key-response#nsp#uid#
}

func newChannels(key, nsp, uid string) channels {
	b := key + "#" + nsp + "#"
	return channels{
		broadcast:   b,
		pattern:     globEscape(b) + "*",
		request:     key + "-request#" + nsp + "#",
		response:    key + "-response#" + nsp + "#",
		ownResponse: key + "-response#" + nsp + "#" + uid + "#",
	}
}

// broadcastChannel is where a broadcast is published: the room channel when it targets
// exactly one room, so that Node nodes can skip rooms they do not have.
func (c channels) broadcastChannel(opts socketio.BroadcastOptions) string {
	if len(opts.Rooms) == 1 {
		return c.broadcast + opts.Rooms[0] + "#"
	}
	return c.broadcast
}

// globEscape escapes the PSUBSCRIBE glob characters in s.
func globEscape(s string) string {
	if !strings.ContainsAny(s, `*?[]\`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// encodePacket writes socket.io's unencoded packet {type, data, nsp} for event packet p:
// type is always EVENT (2) because Node's encoder decides on BINARY_EVENT itself.
func encodePacket(e *msgpack.Encoder, p *parser.Packet) error {
	if err := e.EncodeMapLen(3); err != nil {
		return err
	}
	_ = e.EncodeString("type")
	_ = e.EncodeInt(int64(parser.Event))
	_ = e.EncodeString("data")
	if err := msgpackjson.Encode(e, p.Data, p.Attachments); err != nil {
		return err
	}
	_ = e.EncodeString("nsp")
	return e.EncodeString(p.Nsp)
}

// encodeBroadcast is the message of a broadcast channel: msgpack [uid, packet, opts].
func encodeBroadcast(uid string, p *parser.Packet, opts socketio.BroadcastOptions) ([]byte, error) {
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	_ = e.EncodeArrayLen(3)
	_ = e.EncodeString(uid)
	if err := encodePacket(e, p); err != nil {
		return nil, err
	}
	if err := e.Encode(clusterwire.ToOpts(opts)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// wirePacket is a received packet, its data still msgpack (or JSON).
type wirePacket struct {
	Type int                `msgpack:"type" json:"type"`
	Data msgpack.RawMessage `msgpack:"data" json:"-"`
	Nsp  string             `msgpack:"nsp" json:"nsp"`

	JSONData json.RawMessage `msgpack:"-" json:"data"`
}

// toPacket turns a received event packet into ours (no ack id).
func (w *wirePacket) toPacket(nsp string) (*parser.Packet, error) {
	if w.Type != int(parser.Event) && w.Type != int(parser.BinaryEvent) {
		return nil, errors.New("redisadapter: not an event packet")
	}
	data, atts := []byte(w.JSONData), [][]byte(nil)
	if w.Data != nil {
		var err error
		if data, atts, err = msgpackjson.ToJSON(w.Data); err != nil {
			return nil, err
		}
	}
	if _, err := socketio.ParseArgs(data, atts, 0); err != nil {
		return nil, err
	}
	if len(data) < 3 || data[0] != '[' || data[1] != '"' {
		return nil, errors.New("redisadapter: event without a name")
	}
	p := &parser.Packet{Type: parser.Event, Nsp: nsp, ID: parser.NoID, Data: data}
	if len(atts) > 0 {
		p.Type, p.Attachments = parser.BinaryEvent, atts
	}
	return p, nil
}

// decodeBroadcast reads msgpack [uid, packet, opts].
func decodeBroadcast(b []byte) (uid string, pkt wirePacket, opts clusterwire.Opts, err error) {
	d := msgpack.NewDecoder(bytes.NewReader(b))
	n, err := d.DecodeArrayLen()
	if err != nil || n < 2 {
		return "", pkt, opts, errors.New("redisadapter: bad broadcast message")
	}
	if uid, err = d.DecodeString(); err != nil {
		return "", pkt, opts, err
	}
	if err = d.Decode(&pkt); err != nil {
		return "", pkt, opts, err
	}
	if n > 2 {
		err = d.Decode(&opts)
	}
	return uid, pkt, opts, err
}

// request is a message of the request channel. Node sends most as JSON and BROADCAST
// as msgpack (also any request carrying binary); both decode into it.
type request struct {
	UID       string            `json:"uid,omitempty" msgpack:"uid,omitempty"`
	RequestID string            `json:"requestId,omitempty" msgpack:"requestId,omitempty"`
	Type      int               `json:"type" msgpack:"type"`
	Opts      *clusterwire.Opts `json:"opts,omitempty" msgpack:"opts,omitempty"`
	Rooms     []string          `json:"rooms,omitempty" msgpack:"rooms,omitempty"`
	Close     bool              `json:"close,omitempty" msgpack:"close,omitempty"`
	SID       string            `json:"sid,omitempty" msgpack:"sid,omitempty"`
	Room      string            `json:"room,omitempty" msgpack:"room,omitempty"`

	// Data ([event, ...args]) and Packet, raw in whichever encoding came.
	Data      json.RawMessage    `json:"data,omitempty" msgpack:"-"`
	Packet    *wirePacket        `json:"packet,omitempty" msgpack:"-"`
	MsgData   msgpack.RawMessage `json:"-" msgpack:"data,omitempty"`
	MsgPacket msgpack.RawMessage `json:"-" msgpack:"packet,omitempty"`
	isMsgpack bool
}

// decodeRequest decodes a JSON or msgpack request (JSON starts with '{'; a msgpack map
// never does).
func decodeRequest(b []byte) (*request, error) {
	r := &request{}
	if len(b) > 0 && b[0] == '{' {
		return r, json.Unmarshal(b, r)
	}
	r.isMsgpack = true
	if err := msgpack.Unmarshal(b, r); err != nil {
		return nil, err
	}
	if r.MsgPacket != nil {
		r.Packet = &wirePacket{}
		if err := msgpack.Unmarshal(r.MsgPacket, r.Packet); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// eventData returns the event name and arguments of a SERVER_SIDE_EMIT.
func (r *request) eventData() (string, socketio.Args, error) {
	data, atts := []byte(r.Data), [][]byte(nil)
	if r.isMsgpack {
		var err error
		if data, atts, err = msgpackjson.ToJSON(r.MsgData); err != nil {
			return "", socketio.Args{}, err
		}
	}
	elems, err := parser.SplitArray(data, 0)
	if err != nil || len(elems) == 0 {
		return "", socketio.Args{}, errors.New("redisadapter: bad serverSideEmit data")
	}
	event, ok := parser.Unquote(elems[0])
	if !ok {
		return "", socketio.Args{}, errors.New("redisadapter: serverSideEmit without event name")
	}
	args, err := socketio.ParseArgs(parser.AppendArray(nil, elems[1:]), atts, 0)
	return event, args, err
}

// response is a message of the response channels.
type response struct {
	Type        int             `json:"type,omitempty" msgpack:"type,omitempty"`
	RequestID   string          `json:"requestId" msgpack:"requestId"`
	ClientCount int             `json:"clientCount,omitempty" msgpack:"clientCount,omitempty"`
	Sockets     json.RawMessage `json:"sockets,omitempty" msgpack:"-"`
	Rooms       []string        `json:"rooms,omitempty" msgpack:"rooms,omitempty"`

	Packet    json.RawMessage    `json:"packet,omitempty" msgpack:"-"`
	MsgPacket msgpack.RawMessage `json:"-" msgpack:"packet,omitempty"`
	MsgSocks  msgpack.RawMessage `json:"-" msgpack:"sockets,omitempty"`
	// Data is a serverSideEmitWithAck answer: the handler's first ack argument.
	Data      json.RawMessage    `json:"data,omitempty" msgpack:"-"`
	MsgData   msgpack.RawMessage `json:"-" msgpack:"data,omitempty"`
	isMsgpack bool
}

func decodeResponse(b []byte) (*response, error) {
	r := &response{}
	if len(b) > 0 && b[0] == '{' {
		return r, json.Unmarshal(b, r)
	}
	r.isMsgpack = true
	if err := msgpack.Unmarshal(b, r); err != nil {
		return nil, err
	}
	if r.MsgSocks != nil {
		js, _, err := msgpackjson.ToJSON(r.MsgSocks)
		if err != nil {
			return nil, err
		}
		r.Sockets = js
	}
	return r, nil
}

// ackArgs returns the Args of a BROADCAST_ACK: its one value.
func (r *response) ackArgs() (socketio.Args, error) { return r.valueArgs(r.Packet, r.MsgPacket) }

// valueArgs returns the Args holding the one value of a response field, given in
// its JSON (js) and msgpack (mp) forms.
func (r *response) valueArgs(js json.RawMessage, mp msgpack.RawMessage) (socketio.Args, error) {
	val, atts := []byte(js), [][]byte(nil)
	if r.isMsgpack {
		var err error
		if val, atts, err = msgpackjson.ToJSON(mp); err != nil {
			return socketio.Args{}, err
		}
	}
	if len(val) == 0 {
		val = []byte("null")
	}
	arr := make([]byte, 0, len(val)+2)
	arr = append(append(append(arr, '['), val...), ']')
	return socketio.ParseArgs(arr, atts, 0)
}

// encodeBroadcastRequest is the msgpack BROADCAST request (Node's form).
func encodeBroadcastRequest(uid, reqID string, p *parser.Packet, opts clusterwire.Opts) ([]byte, error) {
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	_ = e.EncodeMapLen(5)
	_ = e.EncodeString("uid")
	_ = e.EncodeString(uid)
	_ = e.EncodeString("requestId")
	_ = e.EncodeString(reqID)
	_ = e.EncodeString("type")
	_ = e.EncodeInt(reqBroadcast)
	_ = e.EncodeString("packet")
	if err := encodePacket(e, p); err != nil {
		return nil, err
	}
	_ = e.EncodeString("opts")
	if err := e.Encode(opts); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeServerSideEmit is the SERVER_SIDE_EMIT request: JSON like Node's, or msgpack
// when the arguments carry binary (Node decodes both; JSON would turn bytes into
// {"type":"Buffer"} objects).
func encodeServerSideEmit(uid, event string, args socketio.Args) ([]byte, error) {
	return encodeServerSideEmitRequest(uid, "", event, args)
}

// encodeServerSideEmitRequest is encodeServerSideEmit with a requestId when reqID is
// set: the sender wants one answer per node (serverSideEmitWithAck).
func encodeServerSideEmitRequest(uid, reqID, event string, args socketio.Args) ([]byte, error) {
	raw, _ := args.MarshalJSON()
	data := make([]byte, 0, len(raw)+len(event)+4)
	data = parser.AppendString(append(data, '['), event)
	if args.Len() > 0 {
		data = append(data, ',')
	}
	data = append(data, raw[1:]...)
	if len(args.Attachments()) == 0 {
		return json.Marshal(struct {
			UID       string          `json:"uid"`
			RequestID string          `json:"requestId,omitempty"`
			Type      int             `json:"type"`
			Data      json.RawMessage `json:"data"`
		}{uid, reqID, reqServerSideEmit, data})
	}
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	n := 3
	if reqID != "" {
		n++
	}
	_ = e.EncodeMapLen(n)
	_ = e.EncodeString("uid")
	_ = e.EncodeString(uid)
	if reqID != "" {
		_ = e.EncodeString("requestId")
		_ = e.EncodeString(reqID)
	}
	_ = e.EncodeString("type")
	_ = e.EncodeInt(reqServerSideEmit)
	_ = e.EncodeString("data")
	if err := msgpackjson.Encode(e, data, args.Attachments()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeAckResponse is the msgpack BROADCAST_ACK carrying the first ack argument, all
// that Node's adapter forwards.
func encodeAckResponse(reqID string, args socketio.Args) ([]byte, error) {
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	_ = e.EncodeMapLen(3)
	_ = e.EncodeString("type")
	_ = e.EncodeInt(resBroadcastAck)
	_ = e.EncodeString("requestId")
	_ = e.EncodeString(reqID)
	_ = e.EncodeString("packet")
	first := args.Raw(0)
	if first == nil {
		first = json.RawMessage("null")
	}
	if err := msgpackjson.Encode(e, first, args.Attachments()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeServerSideResponse is a node's answer to a serverSideEmitWithAck: {type: 6,
// requestId, data} with data the first ack argument, JSON like Node's, or msgpack when
// it carries binary.
func encodeServerSideResponse(reqID string, args socketio.Args) ([]byte, error) {
	first := args.Raw(0)
	if first == nil {
		first = json.RawMessage("null")
	}
	if len(args.Attachments()) == 0 {
		return json.Marshal(struct {
			Type      int             `json:"type"`
			RequestID string          `json:"requestId"`
			Data      json.RawMessage `json:"data"`
		}{reqServerSideEmit, reqID, first})
	}
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	_ = e.EncodeMapLen(3)
	_ = e.EncodeString("type")
	_ = e.EncodeInt(reqServerSideEmit)
	_ = e.EncodeString("requestId")
	_ = e.EncodeString(reqID)
	_ = e.EncodeString("data")
	if err := msgpackjson.Encode(e, first, args.Attachments()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
