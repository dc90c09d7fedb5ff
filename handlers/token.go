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

// Refresher issues a new token for the live session behind a credential.
type Refresher interface {
	Refresh(ctx context.Context, c identity.Claims) (identity.LoginResult, error)
}

// Token returns the POST /token handler: the Bearer token (still valid) or
// the session cookie of a live session buys a new token for that session,
// answered like /login without touching the cookie. Clients call it when a
// socket says auth:expiring, then emit auth:refresh with the new token. A
// foreign Origin is 403; no or a bad credential, or a revoked or ended
// session, is 401.
func Token(log *slog.Logger, verifier identity.Verifier, refresher Refresher, origins *middleware.Origins) gin.HandlerFunc {
	log = orDiscard(log)
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		claims, ok := requestCredential(c, log, verifier, origins, "token")
		if !ok {
			return
		}
		res, err := refresher.Refresh(ctx, claims)
		if err != nil {
			if apierr.CodeOf(err) == apierr.Internal {
				log.ErrorContext(ctx, "token refresh", "err", err)
				writeError(c, apierr.Internal)
				return
			}
			writeError(c, apierr.Unauthenticated)
			return
		}
		log.InfoContext(ctx, "token refreshed", "user", res.Claims.UserID)
		writeJSON(c, http.StatusOK, loginResponse{
			Token:     res.Token,
			TokenType: "Bearer",
			ExpiresAt: res.ExpiresAt.UnixMilli(),
			User:      UserOf(res.Claims),
		})
	}
}
