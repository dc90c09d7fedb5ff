package engineio

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// Engine.IO error codes carried in the JSON body of a refused HTTP request. Clients show
// them to developers; the numbers are the ones the Engine.IO reference server uses, so
// tooling written for it keeps working.
const (
	CodeUnknownTransport   = 0 // "Transport unknown"
	CodeUnknownSID         = 1 // "Session ID unknown"
	CodeBadHandshakeMethod = 2 // "Bad handshake method"
	CodeBadRequest         = 3 // "Bad request"
	CodeForbidden          = 4 // "Forbidden"
	CodeUnsupportedVersion = 5 // "Unsupported protocol version"
	// CodeShuttingDown is this package's extension (HTTP 503): the server refuses new
	// sessions because it is shutting down; clients retry later.
	CodeShuttingDown = 6
	// CodeTooManyRequests is this package's extension for an AllowRequest hook that
	// rate-limits handshakes (HTTP 429); clients retry on their reconnection backoff.
	CodeTooManyRequests = 7
)

// ErrClosed is returned by Session.Send once the session is closing or closed, so callers
// can drop the recipient instead of retrying.
var ErrClosed = errors.New("engineio: session closed")

// ErrQueueFull is returned by Session.Send when the frames would push the session's write
// queue past Config.MaxWriteQueueBytes; the session has been closed with ReasonSlowConsumer
// so that one slow client cannot grow the server's memory without bound.
var ErrQueueFull = errors.New("engineio: write queue full")

// HTTPError is an HTTP refusal with an Engine.IO JSON body. Return one from
// Config.AllowRequest to choose the status and the code and message the client sees;
// any other error is answered 403 {"code":4,"message":"Forbidden"}.
type HTTPError struct {
	Status  int    // HTTP status, e.g. 403 or 429
	Code    int    // Engine.IO error code, e.g. CodeForbidden
	Message string // shown to the client; keep it free of internal details
}

// Error returns the message with its status, so that logs say what the client saw.
func (e *HTTPError) Error() string {
	return "engineio: " + strconv.Itoa(e.Status) + " " + e.Message
}

var (
	errUnknownTransport = &HTTPError{http.StatusBadRequest, CodeUnknownTransport, "Transport unknown"}
	errUnknownSID       = &HTTPError{http.StatusBadRequest, CodeUnknownSID, "Session ID unknown"}
	errBadMethod        = &HTTPError{http.StatusBadRequest, CodeBadHandshakeMethod, "Bad handshake method"}
	errBadRequest       = &HTTPError{http.StatusBadRequest, CodeBadRequest, "Bad request"}
	errForbidden        = &HTTPError{http.StatusForbidden, CodeForbidden, "Forbidden"}
	errBadVersion       = &HTTPError{http.StatusBadRequest, CodeUnsupportedVersion, "Unsupported protocol version"}
	errShuttingDown     = &HTTPError{http.StatusServiceUnavailable, CodeShuttingDown, "Server shutting down"}
)

// body returns the JSON body {"code":N,"message":"..."} without a trailing newline.
func (e *HTTPError) body() []byte {
	b := make([]byte, 0, 32+len(e.Message))
	b = append(b, `{"code":`...)
	b = strconv.AppendInt(b, int64(e.Code), 10)
	b = append(b, `,"message":`...)
	msg, err := json.Marshal(e.Message)
	if err != nil { // a string always marshals; keep a valid body regardless
		msg = []byte(`""`)
	}
	b = append(b, msg...)
	return append(b, '}')
}

// writeHTTPError answers the request with e as JSON.
func writeHTTPError(w http.ResponseWriter, e *HTTPError) {
	status := e.Status
	if status < 400 || status > 599 {
		status = http.StatusForbidden
	}
	b := e.body()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Reason tells SessionHandler.OnClose why a session ended. The values are the ones
// Socket.IO reports to applications, so the upper layer can pass them through.
type Reason string

// Reasons a session ends.
const (
	ReasonTransportClose  Reason = "transport close"      // client went away / WS closed / poll cancelled
	ReasonTransportError  Reason = "transport error"      // I/O error or protocol misuse (overlapping polls)
	ReasonPingTimeout     Reason = "ping timeout"         // no pong (v4) or no ping (v3) in time
	ReasonParseError      Reason = "parse error"          // malformed engine packet
	ReasonClientClose     Reason = "client close"         // client sent `1`
	ReasonForcedClose     Reason = "forced close"         // server called Close
	ReasonServerShutdown  Reason = "server shutting down" // Server.Shutdown
	ReasonSlowConsumer    Reason = "slow consumer"        // write queue over MaxWriteQueueBytes
	ReasonPayloadTooLarge Reason = "payload too large"    // POST body or WS message over MaxPayload
)
