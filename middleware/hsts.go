package middleware

import "github.com/gin-gonic/gin"

// HSTSValue is the Strict-Transport-Security header of HTTPS responses:
// browsers use only https:// for this host for a year. It names no
// subdomains (includeSubDomains) and asks for no preload listing: those
// commit hosts this server does not know about.
const HSTSValue = "max-age=31536000"

// HSTS returns Gin middleware that sets Strict-Transport-Security on
// responses to requests that reached the server over HTTPS by p's rule
// ([Proxies.IsHTTPS]): TLS on the connection (TLS_CERT_FILE), or
// X-Forwarded-Proto: https from a trusted proxy (TRUSTED_PROXIES), so a
// TLS-terminating proxy need not add it. Plain-HTTP responses never carry
// it: browsers ignore it there (RFC 6797 §8.1), and a server reached over
// HTTP on purpose (a local run, a health check) must not promise HTTPS. A
// nil p counts only TLS on the connection.
func HSTS(p *Proxies) gin.HandlerFunc {
	return func(c *gin.Context) {
		if p.IsHTTPS(c.Request) {
			c.Writer.Header().Set("Strict-Transport-Security", HSTSValue)
		}
		c.Next()
	}
}
