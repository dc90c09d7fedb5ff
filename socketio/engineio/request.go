package engineio

import (
	"crypto/rand"
	"crypto/tls"
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

// handshakeReq is what a session keeps of its handshake request, so Session.Request can
// rebuild a copy: the Header (minus the WebSocket handshake ones) and a few strings,
// rather than an *http.Request and its URL for the life of the connection.
type handshakeReq struct {
	header     http.Header
	tls        *tls.ConnectionState
	method     string
	proto      string
	host       string
	remoteAddr string
	requestURI string
}

// wsHandshakeHeaders are left out of the kept Header: they only served the upgrade.
var wsHandshakeHeaders = [...]string{"Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions", "Upgrade", "Connection"}

func isWSHandshakeHeader(k string) bool {
	for _, h := range wsHandshakeHeaders {
		if k == h {
			return true
		}
	}
	return false
}

// keepRequest copies what the upper layer may read from the handshake request: the
// request URI, headers (minus the WebSocket handshake ones), RemoteAddr, Host, TLS.
func keepRequest(r *http.Request) handshakeReq {
	n, nv := 0, 0
	for k, v := range r.Header {
		if !isWSHandshakeHeader(k) {
			n++
			nv += len(v)
		}
	}
	h := make(http.Header, n)
	vals := make([]string, 0, nv) // one backing array for every value, as Header.Clone
	for k, v := range r.Header {
		if !isWSHandshakeHeader(k) {
			vals = append(vals, v...)
			h[k] = vals[len(vals)-len(v) : len(vals) : len(vals)]
		}
	}
	uri := r.RequestURI
	if uri == "" && r.URL != nil {
		uri = r.URL.RequestURI()
	}
	return handshakeReq{header: h, tls: r.TLS, method: r.Method, proto: r.Proto, host: r.Host,
		remoteAddr: r.RemoteAddr, requestURI: uri}
}

// request builds a new *http.Request from k: no body, and a context not tied to the
// HTTP request.
func (k *handshakeReq) request() *http.Request {
	u, err := url.ParseRequestURI(k.requestURI)
	if err != nil {
		u = &url.URL{}
	}
	u.User = nil
	major, minor, _ := http.ParseHTTPVersion(k.proto)
	return &http.Request{
		Method:     k.method,
		URL:        u,
		Proto:      k.proto,
		ProtoMajor: major,
		ProtoMinor: minor,
		Header:     k.header,
		Body:       http.NoBody,
		Host:       k.host,
		RemoteAddr: k.remoteAddr,
		RequestURI: k.requestURI,
		TLS:        k.tls,
	}
}
