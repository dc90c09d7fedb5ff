// Package apierr is the one catalogue of error codes the server sends to
// clients: HTTP error bodies, socket acks and connect_error data.
//
// Every code has a fixed, static message: library error text never reaches
// a client. Anything unexpected maps to Internal and its details go to the
// log only. The package holds no state and is safe for concurrent use.
package apierr

import (
	"encoding/json"
	"errors"
	"net/http"
)

// Code is a client-facing error code. The set is closed: add a code here,
// with its message and HTTP status, before using it anywhere.
type Code string

// Codes for acks ({ok:false,error:{code,message}}) and HTTP bodies.
const (
	BadRequest      Code = "bad_request"
	Forbidden       Code = "forbidden"
	NotFound        Code = "not_found"
	RateLimited     Code = "rate_limited"
	Unauthenticated Code = "unauthenticated"
	Internal        Code = "internal"
	Unavailable     Code = "unavailable"
)

// InvalidCredentials is the HTTP-only code for a failed login; unknown users
// and wrong passwords share it so the two answers are byte-identical.
const InvalidCredentials Code = "invalid_credentials"

// Codes carried in connect_error data ({message:"unauthorized",data:{code}})
// when the socket handshake is refused.
const (
	MissingToken Code = "missing_token"
	InvalidToken Code = "invalid_token"
	TokenExpired Code = "token_expired"
	Revoked      Code = "revoked"
)

// Connect error messages: "unauthorized" for a missing or bad credential,
// "forbidden" for a namespace the roles do not allow.
const (
	MessageUnauthorized = "unauthorized"
	MessageForbidden    = "forbidden"
)

// Message returns the static, human-readable text for c.
func (c Code) Message() string {
	switch c {
	case BadRequest:
		return "the request is malformed"
	case Forbidden:
		return "not allowed"
	case NotFound:
		return "not found"
	case RateLimited:
		return "too many requests; try again later"
	case Unauthenticated:
		return "authentication required"
	case Unavailable:
		return "service unavailable"
	case InvalidCredentials:
		return "invalid username or password"
	case MissingToken:
		return "no credentials"
	case InvalidToken:
		return "invalid token"
	case TokenExpired:
		return "token expired"
	case Revoked:
		return "token or session revoked"
	default:
		return "internal error"
	}
}

// Status returns the HTTP status that goes with c.
func (c Code) Status() int {
	switch c {
	case BadRequest:
		return http.StatusBadRequest
	case Forbidden:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case RateLimited:
		return http.StatusTooManyRequests
	case Unauthenticated, InvalidCredentials, MissingToken, InvalidToken, TokenExpired, Revoked:
		return http.StatusUnauthorized
	case Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// Body is the {code,message} object used on every wire.
type Body struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// Body returns the wire object for c.
func (c Code) Body() Body { return Body{Code: c, Message: c.Message()} }

// Error is an error carrying a client-facing code. Handlers return it to
// choose the code; any other error becomes Internal.
type Error struct{ Code Code }

// Error returns the code's static message.
func (e *Error) Error() string { return string(e.Code) + ": " + e.Code.Message() }

// New returns an *Error for c.
func New(c Code) error { return &Error{Code: c} }

// CodeOf maps err onto the catalogue: the code of an *Error anywhere in its
// chain, else Internal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// AckFailure is the ack payload {ok:false,error:{code,message}}.
type AckFailure struct {
	OK    bool `json:"ok"`
	Error Body `json:"error"`
}

// Ack returns the failure ack for c.
func Ack(c Code) AckFailure { return AckFailure{Error: c.Body()} }

// ConnectData is the data object of a refused socket connection.
type ConnectData struct {
	Code Code `json:"code"`
}

// HTTPBody returns the JSON bytes {"error":{"code","message"}} for c,
// without a trailing newline, so equal codes give byte-identical bodies.
func HTTPBody(c Code) []byte {
	b, err := json.Marshal(struct {
		Error Body `json:"error"`
	}{c.Body()})
	if err != nil { // cannot happen: fixed string fields
		return []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	return b
}

// FieldError is the error object of a request with one bad field.
type FieldError struct {
	Code    Code   `json:"code"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// FieldBody returns the JSON bytes {"error":{"code","field","message"}}
// for a request whose field is wrong; message says what is wrong with it
// and must be a fixed text of the caller's, never input.
func FieldBody(c Code, field, message string) []byte {
	b, err := json.Marshal(struct {
		Error FieldError `json:"error"`
	}{FieldError{c, field, message}})
	if err != nil { // cannot happen: string fields
		return HTTPBody(c)
	}
	return b
}
