package handlers

import (
	"errors"

	"rtserver/internal/apierr"
	"rtserver/socketio"
)

// Observer receives what the handlers count for /metrics
// (internal/metrics implements it). Methods must be cheap and safe for
// concurrent use; they run on socket read loops and HTTP handlers.
type Observer interface {
	// ConnectRefused: a namespace connection refused with a connect_error code.
	ConnectRefused(code string)
	// EventIn: an event arrived on namespace nsp (refused ones included).
	EventIn(nsp string)
	// Ack: an ack was sent on nsp; result is "ok" or the error code.
	Ack(nsp, result string)
	// RateLimited: an event was dropped by the rate limit.
	RateLimited(nsp string)
	// FloodDisconnect: a socket was cut off for flooding.
	FloodDisconnect(nsp string)
	// LoginFailed: POST /login failed for reason (the error code).
	LoginFailed(reason string)
	// ChatMessage: a chat message was stored and delivered.
	ChatMessage()
	// NotificationStored: a notification copy was stored; online tells
	// whether its recipient was connected.
	NotificationStored(online bool)
	// CredentialExpired: a socket ended at its token's expiry.
	CredentialExpired()
	// TokenRefresh: an auth:refresh was answered, "ok" or the error code.
	TokenRefresh(result string)
}

// nopObserver is the Observer of a server without metrics.
type nopObserver struct{}

func (nopObserver) ConnectRefused(string)   {}
func (nopObserver) EventIn(string)          {}
func (nopObserver) Ack(string, string)      {}
func (nopObserver) RateLimited(string)      {}
func (nopObserver) FloodDisconnect(string)  {}
func (nopObserver) LoginFailed(string)      {}
func (nopObserver) ChatMessage()            {}
func (nopObserver) NotificationStored(bool) {}
func (nopObserver) CredentialExpired()      {}
func (nopObserver) TokenRefresh(string)     {}

// orNop returns o, or an Observer that does nothing for nil.
func orNop(o Observer) Observer {
	if o == nil {
		return nopObserver{}
	}
	return o
}

// counted wraps namespace middleware so that its refusals are observed by
// their connect_error code.
func counted(obs Observer, mw socketio.Middleware) socketio.Middleware {
	return func(s *socketio.Socket) error {
		err := mw(s)
		if err != nil {
			code := string(apierr.Internal)
			var ce *socketio.ConnectError
			if errors.As(err, &ce) {
				if d, ok := ce.Data.(apierr.ConnectData); ok {
					code = string(d.Code)
				}
			}
			obs.ConnectRefused(code)
		}
		return err
	}
}
