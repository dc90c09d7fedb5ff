package handlers

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"rtserver/internal/apierr"
	"rtserver/internal/identity"
	"rtserver/middleware"
)

// Deps is what the HTTP routes need; every field is required unless noted.
type Deps struct {
	Log      *slog.Logger // nil: discard
	Origins  *middleware.Origins
	Authn    Authenticator
	Verifier identity.Verifier
	Revoker  Revoker
	// Refresher issues new tokens for POST /token.
	Refresher Refresher
	Limiter   *LoginLimiter
	Sockets   *Tracker
	// Ready is the readiness check (the store ping).
	Ready func(context.Context) error
	// Degraded, when set, reports a missing dependency the server works
	// without (Redis): /readyz stays 200 but says degraded.
	Degraded func() error
	// Files is the demo page (public.FS()).
	Files fs.FS
	// AdminUI is the Socket.IO Admin UI (public.FS()'s adminui/), served at
	// /admin-ui/ when ADMIN_UI=1; nil: no such route.
	AdminUI fs.FS
	// IO is the Socket.IO server, mounted at /socket.io/.
	IO http.Handler
	// Observer counts login failures; nil counts nothing.
	Observer Observer
	// Publish configures POST /api/v1/notifications.
	Publish PublishDeps
	// TrustedProxies are the trusted proxies (TRUSTED_PROXIES): from them
	// X-Forwarded-For sets the client IP and X-Forwarded-Proto: https makes
	// the session cookie Secure. Origins must use the same value
	// (Origins.WithProxies). Nil (the default) trusts none: the IP is the
	// peer's and only TLS on the connection counts as HTTPS.
	TrustedProxies *middleware.Proxies
}

// Router returns the Gin engine with every HTTP route. The list below is
// the whole HTTP surface of the public listener; the socket namespaces are
// in Namespaces. GET /metrics is not on it (404): metrics have a listener
// of their own (METRICS_ADDR, cmd/server).
//
//	GET  /                      demo page (strict CSP, no inline script)
//	GET  /app.js, /style.css    demo page assets
//	GET  /lib/socket.io.min.js  socket.io-client browser build (embedded copy)
//	GET  /favicon.ico           204 (the demo has no icon)
//	GET  /healthz               200 while the process is up
//	GET  /readyz                200 when the store answers (status ready, or
//	                            degraded without Redis), else 503
//	POST /login                 JSON credentials → token + session cookie
//	POST /logout                Bearer token or session cookie → 204
//	POST /token                 Bearer token or session cookie → a new
//	                            token for the same session (like /login)
//	GET  /admin-ui/*            the Socket.IO Admin UI (ADMIN_UI=1; its own CSP)
//	POST /api/v1/notifications  publish API: Bearer service key (or an
//	                            admin's token) → 202 {ids, online, stored}
//	GET, POST, OPTIONS /socket.io/*  the Socket.IO engine (it checks Origin itself)
//
// Socket.IO namespaces (registered by Namespaces in socket.go):
//
//	/       auth at handshake (or `authenticate` within AUTH_TIMEOUT when
//	        AUTH_AFTER_CONNECT=1); joins user:<sub>; whoami
//	/chat           auth; join, leave, message, history, typing, rooms,
//	                users (room rules from rooms/)
//	/notifications  auth; unread on connect; read, list
//	/admin          auth + role admin; online, kick
//	/admin-ui       (ADMIN_UI=1; ADMIN_UI_NAMESPACE) the Socket.IO Admin UI
//	                protocol (socketio/admin): role admin, by username and
//	                password or the UI's sessionId (AdminUI in adminui.go)
//
// Connection state recovery (NewRecovery) gives a session back only to the
// login that owned it, after the namespace's auth ran; another user's pid
// gets a fresh socket. The rooms restored are those the namespace allows
// now: user:<sub> on /, /chat and /notifications, plus on /chat the rooms
// rooms/ lets the claims join; none on /admin.
//
// Every response carries the security headers, and HTTPS ones (TLS, or a
// trusted proxy's X-Forwarded-Proto) Strict-Transport-Security; every request is logged
// with token query values redacted; panics become 500 JSON.
func Router(d Deps) (*gin.Engine, error) {
	r := gin.New()
	if err := r.SetTrustedProxies(d.TrustedProxies.List()); err != nil {
		return nil, err
	}
	r.HandleMethodNotAllowed = true
	r.Use(middleware.RequestLog(d.Log), middleware.Recovery(d.Log), middleware.SecurityHeaders(), middleware.HSTS(d.TrustedProxies))
	r.NoRoute(func(c *gin.Context) { writeError(c, apierr.NotFound) })
	r.NoMethod(func(c *gin.Context) {
		c.Data(http.StatusMethodNotAllowed, "application/json", apierr.HTTPBody(apierr.BadRequest))
	})

	io := gin.WrapH(d.IO)
	r.GET("/socket.io/*any", io)
	r.POST("/socket.io/*any", io)
	r.OPTIONS("/socket.io/*any", io)

	web := r.Group("/", middleware.CORS(d.Origins))
	web.GET("/", Static(d.Files, "index.html"))
	web.GET("/app.js", Static(d.Files, "app.js"))
	web.GET("/style.css", Static(d.Files, "style.css"))
	web.GET("/lib/socket.io.min.js", ClientBundle(d.Log, d.Files, "lib/socket.io.min.js"))
	// The demo has no icon: 204 keeps browsers from logging a 404.
	web.GET("/favicon.ico", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	web.GET("/healthz", Healthz())
	web.GET("/readyz", Readyz(d.Log, d.Ready, d.Degraded))
	if d.AdminUI != nil {
		ui := AdminUIFiles(d.Log, d.AdminUI)
		web.GET("/admin-ui", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, "/admin-ui/") })
		web.GET("/admin-ui/*file", ui)
	}
	web.POST("/login", Login(d.Log, d.Authn, d.Limiter, d.Origins, d.TrustedProxies, d.Observer))
	web.POST("/logout", Logout(d.Log, d.Verifier, d.Revoker, d.Sockets, d.Origins, d.TrustedProxies))
	// The publish API is for backends (no cookies, no CORS): it sits
	// outside the web group.
	r.POST("/api/v1/notifications", Publish(d.Publish))
	web.POST("/token", Token(d.Log, d.Verifier, d.Refresher, d.Origins))
	web.OPTIONS("/token", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	web.OPTIONS("/login", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	web.OPTIONS("/logout", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	return r, nil
}
