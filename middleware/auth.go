package middleware

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/url"

	"rtserver/internal/apierr"
	"rtserver/internal/identity"
	"rtserver/socketio"
)

// AuthOptions configures Auth.
type AuthOptions struct {
	// Credentials finds the handshake's credential (AUTH_SOURCES, Origin
	// rule for the cookie).
	Credentials *identity.Credentials
	// Anonymous admits a handshake that carries no credential at all (the
	// authenticate-after-connect mode of `/`); a credential that is present
	// is still verified and refused when bad.
	Anonymous bool
}

// claimsKey is the socket data key of the claims.
type claimsKey struct{}

// SetClaims stores the verified claims on the socket.
func SetClaims(s *socketio.Socket, c identity.Claims) { s.Set(claimsKey{}, c) }

// ClaimsOf returns the claims stored on the socket; ok is false for a
// socket that has not authenticated (authenticate-after-connect mode).
func ClaimsOf(s *socketio.Socket) (identity.Claims, bool) {
	c, ok := s.Get(claimsKey{}).(identity.Claims)
	return c, ok
}

// refusal is the connect_error for code: message "forbidden" for
// Forbidden, "internal error" for Internal, else "unauthorized".
func refusal(code apierr.Code) error {
	msg := apierr.MessageUnauthorized
	switch code {
	case apierr.Forbidden:
		msg = apierr.MessageForbidden
	case apierr.Internal:
		msg = apierr.Internal.Message()
	}
	return &socketio.ConnectError{Message: msg, Data: apierr.ConnectData{Code: code}}
}

// Auth returns the namespace middleware that authenticates a socket from
// its handshake: the first credential found is verified and its claims are
// stored on the socket (ClaimsOf). Refusals are connect_error
// "unauthorized" with data.code missing_token, invalid_token,
// token_expired or revoked. A nil log discards.
func Auth(log *slog.Logger, v identity.Verifier, opts AuthOptions) socketio.Middleware {
	log = orDiscard(log)
	return func(s *socketio.Socket) error {
		hs := s.Handshake()
		// The socket's context is not cancelled before its middleware
		// returns, so nothing is lost by not deriving from its
		// cancellation: a store query under it would leave a child map
		// and a Done channel on the context of every socket (about 350
		// bytes each, for the socket's life).
		ctx := context.WithoutCancel(s.Context())
		cred, src, code := opts.Credentials.Find(hs.Auth, handshakeRequest(hs))
		if code == "" && cred == "" {
			if opts.Anonymous {
				return nil
			}
			code = apierr.MissingToken
		}
		var claims identity.Claims
		if code == "" {
			claims, code = identity.Verify(ctx, log, v, cred, src)
		}
		if code != "" {
			log.InfoContext(ctx, "socket refused", "nsp", s.Namespace().Name(), "source", string(src), "code", string(code))
			return refusal(code)
		}
		SetClaims(s, claims)
		return nil
	}
}

// handshakeRequest rebuilds, from a handshake, the request view that
// Credentials.Find reads (headers, query, cookie, Host, TLS, and the peer
// address, which decides whether X-Forwarded-Proto counts).
func handshakeRequest(hs *socketio.Handshake) *http.Request {
	r := &http.Request{Header: hs.Header, URL: &url.URL{RawQuery: hs.Query.Encode()}, Host: hs.Host, RemoteAddr: hs.RemoteAddr}
	if hs.Secure {
		r.TLS = &tls.ConnectionState{}
	}
	return r
}

// RequireRole returns namespace middleware, to run after Auth, refusing a
// socket whose claims lack role with connect_error "forbidden".
func RequireRole(role string) socketio.Middleware {
	return func(s *socketio.Socket) error {
		c, ok := ClaimsOf(s)
		if !ok || !c.HasRole(role) {
			return refusal(apierr.Forbidden)
		}
		return nil
	}
}
