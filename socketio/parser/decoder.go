package parser

// Decoder turns the Engine.IO messages of one connection into Socket.IO packets: a
// text packet, then, for BINARY_EVENT and BINARY_ACK, exactly the announced number
// of binary frames. It is not safe for concurrent use; give each connection its own.
type Decoder struct {
	cfg     DecoderConfig
	pending *Packet // binary packet waiting for attachments
	need    int
	lastNsp string // last namespace seen, reused to avoid a string per packet
}

// NewDecoder returns a Decoder for one connection. Zero fields of cfg take their
// defaults and out-of-range fields are clamped; use cfg.Validate at startup to
// refuse bad settings instead.
func NewDecoder(cfg DecoderConfig) *Decoder {
	return &Decoder{cfg: cfg.withDefaults()}
}

// Add feeds one Engine.IO message payload (without the Engine.IO type). It returns
// the complete packet, or nil while binary frames are still awaited. Any error
// means the peer broke the protocol and the connection should be closed; the
// Decoder drops its partial packet. The returned packet aliases data (and the
// attachment frames), which the caller must not modify afterwards.
func (d *Decoder) Add(data []byte, binary bool) (*Packet, error) {
	if binary {
		if d.pending == nil {
			return nil, ErrUnexpectedBinary
		}
		d.pending.Attachments = append(d.pending.Attachments, data)
		if len(d.pending.Attachments) < d.need {
			return nil, nil
		}
		p := d.pending
		d.pending, d.need = nil, 0
		return p, nil
	}
	if d.pending != nil {
		d.Reset()
		return nil, ErrMissingAttachments
	}
	p, n, err := d.decodeText(data)
	if err != nil || n == 0 {
		return p, err
	}
	p.Attachments = make([][]byte, 0, n)
	d.pending, d.need = p, n
	return nil, nil
}

// Waiting reports whether a binary packet is waiting for attachments, so the caller
// can bound how long (or how many bytes) it lets a peer take to send them.
func (d *Decoder) Waiting() bool { return d.pending != nil }

// Reset drops a partially received binary packet, for a caller that stops
// waiting for its attachments but keeps the connection (Add does this itself on error).
func (d *Decoder) Reset() { d.pending, d.need = nil, 0 }
