package parser

import "errors"

// ErrInvalid is wrapped by every error this package returns, so a connection can
// test errors.Is(err, ErrInvalid) and close. The specific errors below say why.
var ErrInvalid = errors.New("socketio/parser: invalid packet")

// codecError is a fixed reason for rejecting input, with a short code for metrics.
type codecError struct{ code, text string }

func (e *codecError) Error() string { return "socketio/parser: " + e.text }
func (e *codecError) Unwrap() error { return ErrInvalid }

// The reasons a packet is rejected. Each means "close the connection": the peer is
// not speaking the protocol. They are fixed values; compare with errors.Is.
var (
	ErrUnknownType        error = &codecError{"unknown_type", "unknown packet type"}
	ErrInvalidNamespace   error = &codecError{"invalid_namespace", "invalid namespace"}
	ErrInvalidAttachments error = &codecError{"invalid_attachments", "invalid binary attachment header"}
	ErrTooManyAttachments error = &codecError{"too_many_attachments", "too many binary attachments"}
	ErrInvalidAckID       error = &codecError{"invalid_ack_id", "invalid acknowledgement id"}
	ErrInvalidPayload     error = &codecError{"invalid_payload", "payload not allowed for this packet type"}
	ErrReservedEvent      error = &codecError{"reserved_event", "reserved event name"}
	ErrInvalidJSON        error = &codecError{"invalid_json", "invalid JSON"}
	ErrTooDeep            error = &codecError{"too_deep", "JSON nested too deeply"}
	ErrInvalidPlaceholder error = &codecError{"invalid_placeholder", "invalid binary placeholder"}
	ErrUnexpectedBinary   error = &codecError{"unexpected_binary", "binary frame while no attachment is awaited"}
	ErrMissingAttachments error = &codecError{"missing_attachments", "text packet while binary attachments are awaited"}
)

// ErrorCode returns a short stable label for an error of this package (e.g.
// "too_deep"), meant for rejection counters, or "" for any other error.
func ErrorCode(err error) string {
	var ce *codecError
	if errors.As(err, &ce) {
		return ce.code
	}
	return ""
}
