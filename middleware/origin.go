package middleware

import (
	"net/http"
	"strings"
)

// Origins decides which browser origins may talk to the server: an exact
// allowlist (ALLOWED_ORIGINS) plus the server's own origin. One value is
// shared by CORS, the login/logout CSRF check, the engine's handshake
// CheckOrigin and the session-cookie rule, so they can never disagree.
// It is immutable after NewOrigins and safe for concurrent use.
type Origins struct {
	allowed map[string]struct{}
	// proxies decides the scheme of the server's own origin (nil: TLS
	// on the connection only); see WithProxies.
	proxies *Proxies
}

// NewOrigins returns the policy for the given allowlist. Entries are
// compared byte for byte with the Origin header (scheme://host[:port]); a
// trailing slash is dropped. No wildcards and no patterns: a suffix match
// would let https://app.example.com.evil.io through.
func NewOrigins(allowed []string) *Origins {
	o := &Origins{allowed: make(map[string]struct{}, len(allowed))}
	for _, a := range allowed {
		a = strings.TrimSuffix(strings.TrimSpace(a), "/")
		if a != "" {
			o.allowed[a] = struct{}{}
		}
	}
	return o
}

// WithProxies returns a copy of o whose own-origin rule takes the scheme
// from p (X-Forwarded-Proto from a trusted proxy, see [Proxies.IsHTTPS]),
// so that behind a TLS-terminating proxy the page's own origin is
// https://host.
func (o *Origins) WithProxies(p *Proxies) *Origins {
	c := *o
	c.proxies = p
	return &c
}

// AllowedOrigin reports whether origin may be used for a request to r: it
// is on the allowlist or it is r's own scheme://Host.
func (o *Origins) AllowedOrigin(r *http.Request, origin string) bool {
	if origin == "" || strings.ContainsAny(origin, "\r\n\t ") {
		return false
	}
	if _, ok := o.allowed[origin]; ok {
		return true
	}
	return r.Host != "" && origin == o.proxies.Scheme(r)+"://"+r.Host
}

// Listed reports whether origin is on the allowlist itself. It serves
// callers that see no request (the engine's CORS hook): a same-origin page
// needs no CORS headers.
func (o *Origins) Listed(origin string) bool {
	_, ok := o.allowed[origin]
	return ok
}

// Check is the handshake and CSRF rule: a request without an Origin header
// (a non-browser client) passes; one with an Origin must be allowed.
func (o *Origins) Check(r *http.Request) bool {
	origin, present := r.Header["Origin"]
	if !present {
		return true
	}
	return len(origin) == 1 && o.AllowedOrigin(r, origin[0])
}

// HasAllowedOrigin reports whether r carries exactly one allowed Origin
// header. A session cookie counts only then: cookies ride along on
// cross-site WebSocket handshakes, the Origin header cannot be forged by a
// page.
func (o *Origins) HasAllowedOrigin(r *http.Request) bool {
	origin := r.Header["Origin"]
	return len(origin) == 1 && o.AllowedOrigin(r, origin[0])
}
