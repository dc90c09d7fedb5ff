package socketio

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Handshake is what a namespace middleware knows about a connection attempt: the
// CONNECT auth payload and the Engine.IO handshake request. It is shared and must be
// treated as read-only. Its JSON form uses socket.io's field names, so it can travel
// to other nodes (FetchSockets through a cluster adapter).
type Handshake struct {
	// Auth is the CONNECT payload as the client sent it (a JSON object), or {} when
	// there was none. With connection state recovery it also holds "pid" and "offset".
	Auth json.RawMessage `json:"auth"`
	// Query is the handshake request's query, plus for legacy (v4) clients the
	// namespace's own query. It may hold credentials: never log it whole.
	Query url.Values `json:"query"`
	// Header is the handshake request's header.
	Header http.Header `json:"headers"`
	// RemoteAddr is the peer address of the handshake request (no proxy header is
	// interpreted here).
	RemoteAddr string `json:"address"`
	// Host is the Host of the handshake request.
	Host string `json:"host,omitempty"`
	// Time is when the namespace connection was attempted.
	Time time.Time `json:"time"`
	// Issued is Time in Unix milliseconds, as socket.io reports it.
	Issued int64 `json:"issued"`
	// Secure reports a handshake request made over TLS.
	Secure bool `json:"secure"`
	// URL is the handshake request's path and query.
	URL string `json:"url"`
	// Protocol is the Socket.IO protocol revision of the client: 5, or 4 for legacy
	// socket.io-client 2.x.
	Protocol int `json:"protocol,omitempty"`
}

// emptyAuth is the Auth of a CONNECT without payload.
var emptyAuth = json.RawMessage(`{}`)

// Cookie returns the named cookie of the handshake request, so cookie-session auth
// does not have to parse headers itself.
func (h *Handshake) Cookie(name string) (string, bool) {
	if h == nil || h.Header == nil {
		return "", false
	}
	c, err := (&http.Request{Header: h.Header}).Cookie(name)
	if err != nil {
		return "", false
	}
	return c.Value, true
}

// Origin returns the Origin header of the handshake request ("" when absent).
func (h *Handshake) Origin() string {
	if h == nil || h.Header == nil {
		return ""
	}
	return h.Header.Get("Origin")
}

// newHandshake builds the handshake of a namespace connection from the engine's
// request copy. auth is the raw CONNECT payload (nil when none); nsQuery is the
// legacy namespace query.
func newHandshake(r *http.Request, auth []byte, nsQuery string, proto int) *Handshake {
	now := time.Now()
	h := &Handshake{
		Auth:     emptyAuth,
		Time:     now,
		Issued:   now.UnixMilli(),
		Protocol: proto,
		Query:    url.Values{},
		Header:   http.Header{},
	}
	if len(auth) > 0 {
		h.Auth = json.RawMessage(auth)
	}
	if r != nil {
		if r.URL != nil {
			h.Query = r.URL.Query()
			h.URL = r.URL.RequestURI()
		}
		if r.Header != nil {
			h.Header = r.Header
		}
		h.RemoteAddr = r.RemoteAddr
		h.Host = r.Host
		h.Secure = r.TLS != nil
	}
	if nsQuery != "" {
		if extra, err := url.ParseQuery(nsQuery); err == nil {
			for k, v := range extra {
				h.Query[k] = v
			}
		}
	}
	return h
}

// normalizeNamespace returns name with a leading slash ("" and "/" are the main
// namespace), as socket.io's io.of does.
func normalizeNamespace(name string) string {
	if !strings.HasPrefix(name, "/") {
		return "/" + name
	}
	return name
}
