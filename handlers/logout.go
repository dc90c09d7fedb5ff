package handlers

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"rtserver/internal/apierr"
	"rtserver/internal/identity"
	"rtserver/middleware"
)

// Revoker ends a login: it revokes the token's jti (until it expires) and
// the session, so neither authenticates again.
type Revoker interface {
	Revoke(ctx context.Context, c identity.Claims) error
}

// Logout returns the POST /logout handler. The credential is the Bearer
// token, else the session cookie. It revokes the session and the token's
// jti, disconnects every socket that used either ("io server disconnect"),
// clears the cookie and answers 204. The user's other sessions stay. A
// foreign Origin is 403; no or a bad credential is 401.
func Logout(log *slog.Logger, verifier identity.Verifier, revoker Revoker, sockets *Tracker, origins *middleware.Origins, proxies *middleware.Proxies) gin.HandlerFunc {
	log = orDiscard(log)
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		claims, ok := requestCredential(c, log, verifier, origins, "logout")
		if !ok {
			return
		}
		if err := revoker.Revoke(ctx, claims); err != nil {
			log.ErrorContext(ctx, "logout: revoke", "err", err, "user", claims.UserID)
			writeError(c, apierr.Internal)
			return
		}
		n := sockets.DisconnectCredential(claims.TokenID, claims.SessionID)
		log.InfoContext(ctx, "logout", "user", claims.UserID, "sockets", n)
		ck := sessionCookie(c.Request, proxies, "")
		ck.MaxAge = -1
		http.SetCookie(c.Writer, ck)
		c.Status(http.StatusNoContent)
		c.Writer.WriteHeaderNow()
	}
}

// requestCredential checks a request that acts on its own login (/logout,
// /token): an Origin, when sent, must be allowed (403); the credential is
// the Bearer token, else the session cookie; none or a bad one is 401, a
// failing store 500. On false the answer has been written.
func requestCredential(c *gin.Context, log *slog.Logger, verifier identity.Verifier, origins *middleware.Origins, what string) (identity.Claims, bool) {
	ctx := c.Request.Context()
	if !origins.Check(c.Request) {
		writeError(c, apierr.Forbidden)
		return identity.Claims{}, false
	}
	var (
		claims identity.Claims
		err    error
	)
	if token, ok := identity.BearerToken(c.GetHeader("Authorization")); ok {
		claims, err = verifier.VerifyToken(ctx, token)
	} else if sid, cerr := c.Cookie(SessionCookie); cerr == nil && sid != "" {
		claims, err = verifier.VerifySession(ctx, sid)
	} else {
		writeError(c, apierr.Unauthenticated)
		return identity.Claims{}, false
	}
	if err != nil {
		if apierr.CodeOf(err) == apierr.Internal {
			log.ErrorContext(ctx, what+": verify", "err", err)
			writeError(c, apierr.Internal)
		} else {
			writeError(c, apierr.Unauthenticated)
		}
		return identity.Claims{}, false
	}
	return claims, true
}
