// Package clusterwire holds what the cluster adapters share on the wire: sockets as
// socket.io's fetchSockets answers describe them, and broadcast options.
package clusterwire

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"rtserver/socketio"
)

// JSDateLayout is how Node's socket.io writes handshake.time (Date.prototype.toString in
// UTC), so Node code reading a Go socket's handshake sees the usual shape.
const JSDateLayout = "Mon Jan 02 2006 15:04:05 GMT-0700 (Coordinated Universal Time)"

// Socket is one socket of a fetchSockets answer, in socket.io's shape.
type Socket struct {
	ID        string          `json:"id"`
	Handshake Handshake       `json:"handshake"`
	Rooms     []string        `json:"rooms"`
	Data      json.RawMessage `json:"data"`
}

// Handshake is socket.io's handshake object: headers lowercased with string values,
// query values strings (arrays when repeated), time as a JS date string.
type Handshake struct {
	Headers map[string]any  `json:"headers"`
	Time    string          `json:"time"`
	Address string          `json:"address"`
	XDomain bool            `json:"xdomain"`
	Secure  bool            `json:"secure"`
	Issued  int64           `json:"issued"`
	URL     string          `json:"url"`
	Query   map[string]any  `json:"query"`
	Auth    json.RawMessage `json:"auth"`
}

// ToSocket describes r for a fetchSockets answer.
func ToSocket(r *socketio.RemoteSocket) Socket {
	w := Socket{ID: r.ID, Rooms: r.Rooms, Data: json.RawMessage("null")}
	if w.Rooms == nil {
		w.Rooms = []string{}
	}
	if r.Data != nil {
		if b, err := json.Marshal(r.Data); err == nil {
			w.Data = b
		}
	}
	hs := r.Handshake
	if hs == nil {
		hs = &socketio.Handshake{}
	}
	w.Handshake = Handshake{
		Headers: make(map[string]any, len(hs.Header)),
		Time:    hs.Time.UTC().Format(JSDateLayout),
		Address: hs.RemoteAddr,
		XDomain: hs.Header.Get("Origin") != "",
		Secure:  hs.Secure,
		Issued:  hs.Issued,
		URL:     hs.URL,
		Query:   make(map[string]any, len(hs.Query)),
		Auth:    hs.Auth,
	}
	if len(w.Handshake.Auth) == 0 {
		w.Handshake.Auth = json.RawMessage("{}")
	}
	for k, v := range hs.Header {
		if len(v) > 0 {
			w.Handshake.Headers[strings.ToLower(k)] = strings.Join(v, ", ")
		}
	}
	if hs.Host != "" {
		w.Handshake.Headers["host"] = hs.Host
	}
	for k, v := range hs.Query {
		switch len(v) {
		case 0:
		case 1:
			w.Handshake.Query[k] = v[0]
		default:
			w.Handshake.Query[k] = v
		}
	}
	return w
}

// ToHandshake converts socket.io's handshake object back into ours.
func (w *Handshake) ToHandshake() *socketio.Handshake {
	hs := &socketio.Handshake{
		Auth:       w.Auth,
		Query:      url.Values{},
		Header:     http.Header{},
		RemoteAddr: w.Address,
		Issued:     w.Issued,
		Secure:     w.Secure,
		URL:        w.URL,
	}
	if t, err := time.Parse(JSDateLayout[:33], trimZoneName(w.Time)); err == nil {
		hs.Time = t
	} else if w.Issued > 0 {
		hs.Time = time.UnixMilli(w.Issued)
	}
	for k, v := range w.Headers {
		for _, s := range strings_(v) {
			hs.Header.Add(k, s)
		}
	}
	hs.Host = hs.Header.Get("Host")
	for k, v := range w.Query {
		hs.Query[k] = strings_(v)
	}
	return hs
}

// trimZoneName drops the " (zone name)" suffix of a JS date string.
func trimZoneName(s string) string {
	if i := strings.Index(s, " ("); i > 0 {
		return s[:i]
	}
	return s
}

// strings_ returns a JSON string or array of strings as a slice.
func strings_(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
