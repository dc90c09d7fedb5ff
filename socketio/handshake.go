package socketio

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Handshake is what a namespace middleware knows about a connection attempt: the
// CONNECT auth payload and the Engine.IO handshake request. It is shared and must be
// treated as read-only. Its JSON form is Node's socket.handshake (see MarshalJSON),
// so it can travel to other nodes (FetchSockets through a cluster adapter) and be
// shown by tools made for Node's server.
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

// jsDateLayout is Node's handshake.time, new Date().toString(), written in UTC.
const jsDateLayout = "Mon Jan 02 2006 15:04:05 GMT-0700 (Coordinated Universal Time)"

// nodeSingleHeaders are the headers of which Node's IncomingMessage keeps the first
// value only; set-cookie is an array, cookie values are joined with "; " and the
// others with ", " (Node's message.headers).
var nodeSingleHeaders = map[string]bool{
	"age": true, "authorization": true, "content-length": true, "content-type": true, "etag": true,
	"expires": true, "from": true, "host": true, "if-modified-since": true, "if-unmodified-since": true,
	"last-modified": true, "location": true, "max-forwards": true, "proxy-authorization": true,
	"referer": true, "retry-after": true, "server": true, "user-agent": true,
}

// nodeHandshake is the JSON shape of Node's socket.handshake.
type nodeHandshake struct {
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

// MarshalJSON writes h as Node's socket.handshake is written, so tools built for
// Node's server (the admin UI, a cluster peer) read it unchanged: {headers, time,
// address, xdomain, secure, issued, url, query, auth}. headers are lower-cased with
// string values as in Node's IncomingMessage.headers (host included; set-cookie an
// array), time is a JavaScript Date string in UTC, address the peer IP without port,
// query values are strings, or arrays for repeated keys. Protocol is not written.
func (h *Handshake) MarshalJSON() ([]byte, error) {
	w := nodeHandshake{
		Headers: make(map[string]any, len(h.Header)+1),
		Time:    h.Time.UTC().Format(jsDateLayout),
		Address: h.RemoteAddr,
		XDomain: h.Header.Get("Origin") != "",
		Secure:  h.Secure,
		Issued:  h.Issued,
		URL:     h.URL,
		Query:   make(map[string]any, len(h.Query)),
		Auth:    h.Auth,
	}
	if host, _, err := net.SplitHostPort(h.RemoteAddr); err == nil {
		w.Address = host
	}
	if len(w.Auth) == 0 {
		w.Auth = emptyAuth
	}
	for k, v := range h.Header {
		if len(v) == 0 {
			continue
		}
		switch k = strings.ToLower(k); {
		case k == "set-cookie":
			w.Headers[k] = v
		case k == "cookie":
			w.Headers[k] = strings.Join(v, "; ")
		case nodeSingleHeaders[k]:
			w.Headers[k] = v[0]
		default:
			w.Headers[k] = strings.Join(v, ", ")
		}
	}
	if h.Host != "" {
		w.Headers["host"] = h.Host
	}
	for k, v := range h.Query {
		switch len(v) {
		case 0:
		case 1:
			w.Query[k] = v[0]
		default:
			w.Query[k] = v
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the JSON MarshalJSON writes (Node's socket.handshake).
func (h *Handshake) UnmarshalJSON(b []byte) error {
	var w nodeHandshake
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*h = Handshake{
		Auth:       w.Auth,
		Query:      url.Values{},
		Header:     http.Header{},
		RemoteAddr: w.Address,
		Issued:     w.Issued,
		Secure:     w.Secure,
		URL:        w.URL,
	}
	if len(h.Auth) == 0 || string(h.Auth) == "null" {
		h.Auth = emptyAuth
	}
	if t, err := time.Parse(jsDateLayout[:33], strings.SplitN(w.Time, " (", 2)[0]); err == nil {
		h.Time = t
	} else if w.Issued > 0 {
		h.Time = time.UnixMilli(w.Issued)
	}
	for k, v := range w.Headers {
		for _, s := range jsonStrings(v) {
			h.Header.Add(k, s)
		}
	}
	h.Host = h.Header.Get("Host")
	h.Header.Del("Host")
	for k, v := range w.Query {
		h.Query[k] = jsonStrings(v)
	}
	return nil
}

// jsonStrings returns a decoded JSON string, or array of strings, as a slice.
func jsonStrings(v any) []string {
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
