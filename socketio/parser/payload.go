package parser

// reservedEvents are event names a client may not emit: the server side uses them
// for its own lifecycle, so accepting them would let a peer fake those events.
var reservedEvents = [...]string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}

// IsReservedEvent reports whether name is one of the event names a peer may not
// send (connect, connect_error, disconnect, disconnecting, newListener,
// removeListener), for callers that emit events and want to refuse them early.
func IsReservedEvent(name string) bool {
	for _, r := range reservedEvents {
		if name == r {
			return true
		}
	}
	return false
}

// checkPayload validates the payload of a packet of type t announcing n binary
// attachments and returns it without surrounding whitespace (nil when absent):
//
//   - CONNECT: absent or an object
//   - DISCONNECT: absent
//   - EVENT, BINARY_EVENT: a non-empty array whose first element is a string that
//     is not a reserved event name
//   - ACK, BINARY_ACK: an array
//   - CONNECT_ERROR: an object, or in legacy v4 also a string
//
// For the four message types every placeholder must reference 0..n-1 and each
// attachment must be referenced (see ValidatePlaceholders).
func checkPayload(data []byte, t Type, n, maxDepth int, legacy bool) ([]byte, error) {
	if len(data) == 0 {
		if t == Connect || t == Disconnect {
			return nil, nil
		}
		return nil, ErrInvalidPayload
	}
	if t == Disconnect {
		return nil, ErrInvalidPayload
	}
	var w walker
	w.s.reset(data, maxDepth)
	w.n = n
	w.placeholders = t.carriesID()
	k, start, _, err := w.step()
	if err != nil {
		return nil, err
	}
	switch t {
	case Connect:
		if k != tokObjectStart {
			return nil, ErrInvalidPayload
		}
	case ConnectError:
		if k != tokObjectStart && !(legacy && k == tokString) {
			return nil, ErrInvalidPayload
		}
	case Ack, BinaryAck:
		if k != tokArrayStart {
			return nil, ErrInvalidPayload
		}
	case Event, BinaryEvent:
		if k != tokArrayStart {
			return nil, ErrInvalidPayload
		}
		k, s, e, err := w.step()
		if err != nil {
			return nil, err
		}
		if k != tokString {
			return nil, ErrInvalidPayload
		}
		for _, r := range reservedEvents {
			if stringIs(data[s:e], r) {
				return nil, ErrReservedEvent
			}
		}
	}
	end, err := w.finish()
	if err != nil {
		return nil, err
	}
	return data[start:end:end], nil
}
