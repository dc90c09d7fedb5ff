package engineio

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// query holds the Engine.IO query parameters of a request.
type query struct {
	eio       string
	transport string
	sid       string
	b64       bool // v3: the client wants binary data as base64
	jsonp     bool // v3 JSONP polling (`j`), not supported
}

// parseQuery extracts the Engine.IO parameters from a raw query without building a
// url.Values map; the first occurrence of a key wins, as with url.Values.Get.
func parseQuery(raw string) query {
	var q query
	var seenEIO, seenTransport, seenSID bool
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "EIO":
			if !seenEIO {
				seenEIO, q.eio = true, unescape(v)
			}
		case "transport":
			if !seenTransport {
				seenTransport, q.transport = true, unescape(v)
			}
		case "sid":
			if !seenSID {
				seenSID, q.sid = true, unescape(v)
			}
		case "b64":
			q.b64 = q.b64 || v != ""
		case "j":
			q.jsonp = true
		}
	}
	return q
}

// unescape decodes a query value; an invalid escape yields "" (treated as missing).
func unescape(v string) string {
	if !strings.ContainsAny(v, "%+") {
		return v
	}
	u, err := url.QueryUnescape(v)
	if err != nil {
		return ""
	}
	return u
}

// redactQuery returns raw with the value of every parameter whose name contains "token"
// (any case) replaced by REDACTED, so logged URLs never carry credentials.
func redactQuery(raw string) string {
	if !strings.Contains(strings.ToLower(raw), "token") && !strings.Contains(raw, "%") {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, kv := range parts {
		k, _, ok := strings.Cut(kv, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if ok && strings.Contains(strings.ToLower(name), "token") {
			parts[i] = k + "=REDACTED"
		}
	}
	return strings.Join(parts, "&")
}

// newSID returns a session id: 15 bytes from crypto/rand as 20 base64url characters.
func newSID() string {
	var b [15]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// isWebSocketUpgrade reports whether r asks for a WebSocket upgrade.
func isWebSocketUpgrade(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), "websocket") {
				return true
			}
		}
	}
	return false
}

// handshakeRequest copies what the upper layer may read from the handshake request: URL,
// headers (minus the WebSocket handshake ones), RemoteAddr, Host, TLS. It has no body
// and its context is not the HTTP request's.
func handshakeRequest(r *http.Request) *http.Request {
	u := *r.URL
	if u.User != nil {
		u.User = nil
	}
	h := r.Header.Clone()
	for _, k := range []string{"Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions", "Upgrade", "Connection"} {
		delete(h, k)
	}
	return &http.Request{
		Method:     r.Method,
		URL:        &u,
		Proto:      r.Proto,
		ProtoMajor: r.ProtoMajor,
		ProtoMinor: r.ProtoMinor,
		Header:     h,
		Body:       http.NoBody,
		Host:       r.Host,
		RemoteAddr: r.RemoteAddr,
		RequestURI: r.RequestURI,
		TLS:        r.TLS,
	}
}
