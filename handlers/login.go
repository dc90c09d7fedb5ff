package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"rtserver/internal/apierr"
	"rtserver/internal/identity"
	"rtserver/middleware"
)

// SessionCookie is the name of the cookie holding the server-side session id.
const SessionCookie = "session"

// maxLoginBody bounds the login request body; credentials are small.
const maxLoginBody = 8 << 10

// User is a user as shown to clients.
type User struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Teams []string `json:"teams"`
	Roles []string `json:"roles"`
}

// UserOf returns the client view of claims (never null lists).
func UserOf(c identity.Claims) User {
	u := User{ID: c.UserID, Name: c.Name, Teams: c.Teams, Roles: c.Roles}
	if u.Teams == nil {
		u.Teams = []string{}
	}
	if u.Roles == nil {
		u.Roles = []string{}
	}
	return u
}

// Authenticator checks a username and password and opens a session. A wrong
// password and an unknown user must both return apierr.InvalidCredentials,
// at the same cost (a hash comparison either way).
type Authenticator interface {
	Login(ctx context.Context, username, password string) (identity.LoginResult, error)
}

type loginRequest struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
}

type loginResponse struct {
	Token     string `json:"token"`
	TokenType string `json:"tokenType"`
	// ExpiresAt is in milliseconds since the epoch, as every time on the
	// wire (chat and notification ts, the auth:refresh ack).
	ExpiresAt int64 `json:"expiresAt"`
	User      User  `json:"user"`
}

// Login returns the POST /login handler. Checks run in this order: an
// Origin header, when present, must be allowed (403); the body must be
// application/json holding exactly {"username","password"} (400: a form
// post from another site cannot send it); the (username, client IP) pair
// must be under the failure limit (429 with Retry-After, whatever the
// password); then the credentials (401, byte-identical for unknown users
// and wrong passwords). Success sets the HttpOnly, SameSite=Strict session
// cookie (Secure over HTTPS, see sessionCookie) and answers the token and
// user.
func Login(log *slog.Logger, authn Authenticator, limiter *LoginLimiter, origins *middleware.Origins, proxies *middleware.Proxies, obs Observer) gin.HandlerFunc {
	log = orDiscard(log)
	obs = orNop(obs)
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		if !origins.Check(c.Request) {
			obs.LoginFailed(string(apierr.Forbidden))
			writeError(c, apierr.Forbidden)
			return
		}
		username, password, ok := readLogin(c)
		if !ok {
			obs.LoginFailed(string(apierr.BadRequest))
			writeError(c, apierr.BadRequest)
			return
		}
		ip := c.ClientIP()
		if wait, ok := limiter.Allow(username, ip); !ok {
			secs := int((wait + time.Second - 1) / time.Second)
			c.Header("Retry-After", strconv.Itoa(max(secs, 1)))
			log.WarnContext(ctx, "login rate limited", "ip", ip)
			obs.LoginFailed(string(apierr.RateLimited))
			writeError(c, apierr.RateLimited)
			return
		}
		res, err := authn.Login(ctx, username, password)
		if err != nil {
			code := apierr.CodeOf(err)
			if code == apierr.InvalidCredentials {
				limiter.Fail(username, ip)
				log.InfoContext(ctx, "login failed", "ip", ip)
			} else {
				log.ErrorContext(ctx, "login error", "err", err)
				code = apierr.Internal
			}
			obs.LoginFailed(string(code))
			writeError(c, code)
			return
		}
		limiter.Reset(username, ip)
		ck := sessionCookie(c.Request, proxies, res.SessionID)
		ck.Expires, ck.MaxAge = res.SessionExpiresAt, max(int(time.Until(res.SessionExpiresAt)/time.Second), 1)
		http.SetCookie(c.Writer, ck)
		log.InfoContext(ctx, "login", "user", res.Claims.UserID, "ip", ip)
		writeJSON(c, http.StatusOK, loginResponse{
			Token:     res.Token,
			TokenType: "Bearer",
			ExpiresAt: res.ExpiresAt.UnixMilli(),
			User:      UserOf(res.Claims),
		})
	}
}

// sessionCookie returns the session cookie holding value: HttpOnly,
// SameSite=Strict, and Secure when the client reached the server over
// HTTPS, directly or through a trusted TLS-terminating proxy
// ([middleware.Proxies.IsHTTPS]); login and logout set it alike.
func sessionCookie(r *http.Request, proxies *middleware.Proxies, value string) *http.Cookie {
	return &http.Cookie{
		Name:     SessionCookie,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   proxies.IsHTTPS(r),
		SameSite: http.SameSiteStrictMode,
	}
}

// readLogin parses the body: Content-Type application/json, at most
// maxLoginBody bytes, one object with exactly the two string fields, both
// non-empty, nothing after it.
func readLogin(c *gin.Context) (username, password string, ok bool) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "application/json" {
		return "", "", false
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxLoginBody))
	if err != nil {
		return "", "", false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req loginRequest
	if err := dec.Decode(&req); err != nil {
		return "", "", false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "", "", false
	}
	if req.Username == nil || req.Password == nil || *req.Username == "" || *req.Password == "" ||
		len(*req.Username) > 256 || len(*req.Password) > 1024 {
		return "", "", false
	}
	return *req.Username, *req.Password, true
}

// writeError answers the catalogue body for code with its HTTP status.
func writeError(c *gin.Context, code apierr.Code) {
	c.Data(code.Status(), "application/json", apierr.HTTPBody(code))
	c.Abort()
}

// writeJSON answers v as JSON without a trailing newline.
func writeJSON(c *gin.Context, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(c, apierr.Internal)
		return
	}
	c.Data(status, "application/json", b)
}
