package middleware

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies is the TRUSTED_PROXIES policy: which direct peers are reverse
// proxies whose forwarding headers are believed. It is the one place that
// answers "who is the client" ([Proxies.ClientIP]) and "did the client use
// HTTPS" ([Proxies.IsHTTPS]) for the session cookie, the same-origin rule,
// the engine's handshake checks and the handshake limit; gin's ClientIP is
// configured from the same list ([Proxies.List]) and agrees with it.
//
// A nil *Proxies trusts no peer. A Proxies is immutable and safe for
// concurrent use.
type Proxies struct {
	list     []string
	prefixes []netip.Prefix
}

// NewProxies parses list (IP addresses or CIDRs, as in TRUSTED_PROXIES).
// An empty list trusts no peer: the peer address is the client and only a
// TLS connection of its own counts as HTTPS.
func NewProxies(list []string) (*Proxies, error) {
	p := &Proxies{list: append([]string(nil), list...)}
	for _, s := range list {
		s = strings.TrimSpace(s)
		if pfx, err := netip.ParsePrefix(s); err == nil {
			p.prefixes = append(p.prefixes, pfx.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not an IP address or CIDR", s)
		}
		a = a.Unmap()
		p.prefixes = append(p.prefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	return p, nil
}

// List returns the list NewProxies was given, for gin's SetTrustedProxies.
func (p *Proxies) List() []string {
	if p == nil {
		return nil
	}
	return append([]string(nil), p.list...)
}

// trusts reports whether a is a trusted proxy.
func (p *Proxies) trusts(a netip.Addr) bool {
	if p == nil || !a.IsValid() {
		return false
	}
	a = a.Unmap()
	for _, pfx := range p.prefixes {
		if pfx.Contains(a) {
			return true
		}
	}
	return false
}

// peer returns the address of r's direct peer (RemoteAddr), or the zero
// Addr when it has none.
func peer(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(strings.TrimSpace(r.RemoteAddr))
	if err != nil {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// Trusted reports whether r came straight from a trusted proxy.
func (p *Proxies) Trusted(r *http.Request) bool { return p.trusts(peer(r)) }

// IsHTTPS reports whether the client reached the server over HTTPS: the
// connection itself is TLS, or r came from a trusted proxy that says so in
// X-Forwarded-Proto. Every value of that header (all lines, all
// comma-separated entries) must be "https": a proxy that appends to a
// client's own header then cannot be talked into HTTPS by the client, and a
// chain with a plain-HTTP hop is not HTTPS. From any other peer the header
// is ignored. (The RFC 7239 Forwarded header is not read.)
func (p *Proxies) IsHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	values := r.Header.Values("X-Forwarded-Proto")
	if len(values) == 0 || !p.Trusted(r) {
		return false
	}
	for _, line := range values {
		for _, v := range strings.Split(line, ",") {
			if !strings.EqualFold(strings.TrimSpace(v), "https") {
				return false
			}
		}
	}
	return true
}

// Scheme returns "https" when [Proxies.IsHTTPS], else "http".
func (p *Proxies) Scheme(r *http.Request) string {
	if p.IsHTTPS(r) {
		return "https"
	}
	return "http"
}

// ClientIP returns the client's address: the peer, or, when the peer is a
// trusted proxy, the address its X-Forwarded-For (else X-Real-IP) names,
// read from the right and skipping further trusted proxies, exactly as
// gin's Context.ClientIP with the same list. The zero Addr means the peer
// address is unusable.
func (p *Proxies) ClientIP(r *http.Request) netip.Addr {
	a := peer(r)
	if !p.trusts(a) {
		return a
	}
	for _, name := range []string{"X-Forwarded-For", "X-Real-IP"} {
		if ip, ok := p.fromHeader(strings.Join(r.Header.Values(name), ",")); ok {
			return ip
		}
	}
	return a
}

// fromHeader walks an X-Forwarded-For value from the right: the first
// entry that is not a trusted proxy is the client; when all are trusted, the
// leftmost. A malformed entry ends the walk without a result.
func (p *Proxies) fromHeader(h string) (netip.Addr, bool) {
	if h == "" {
		return netip.Addr{}, false
	}
	items := strings.Split(h, ",")
	for i := len(items) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(items[i]))
		if err != nil || a.Zone() != "" {
			return netip.Addr{}, false
		}
		a = a.Unmap()
		if i == 0 || !p.trusts(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}
