//go:build e2e

package faults

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// msgKey identifies a message by its sender's index and sequence number, both
// carried in its text, so receivers and history agree without the server's id.
type msgKey uint64

func keyOf(sender, seq int) msgKey { return msgKey(uint64(sender)<<32 | uint64(uint32(seq))) }

func (k msgKey) sender() int { return int(k >> 32) }

// msgText is the text of message seq of sender, stamped with the send time and
// padded to at least size bytes.
func msgText(sender, seq int, at time.Time, size int) string {
	s := "f:" + strconv.Itoa(sender) + ":" + strconv.Itoa(seq) + ":" + strconv.FormatInt(at.UnixNano(), 10) + ":"
	if len(s) < size {
		s += strings.Repeat("x", size-len(s))
	}
	return s
}

// parseText returns the key and send time of a suite message text.
func parseText(text string) (msgKey, time.Time, bool) {
	f := strings.SplitN(text, ":", 5)
	if len(f) < 4 || f[0] != "f" {
		return 0, time.Time{}, false
	}
	sender, err1 := strconv.Atoi(f[1])
	seq, err2 := strconv.Atoi(f[2])
	ns, err3 := strconv.ParseInt(f[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, time.Time{}, false
	}
	return keyOf(sender, seq), time.Unix(0, ns), true
}

// sendArg is the `message` payload.
type sendArg struct {
	Room string `json:"room"`
	Text string `json:"text"`
	Cid  string `json:"cid,omitempty"`
}

// historyArg is the `history` payload.
type historyArg struct {
	Room   string `json:"room"`
	Before string `json:"before,omitempty"`
	Limit  int    `json:"limit,omitempty"`
}

// roomHistory is a room's whole history as read back through the `history` event.
type roomHistory struct {
	ids   map[string]bool
	keys  map[msgKey]string // key → id
	ts    map[msgKey]int64  // key → server ts (ms)
	dups  int               // keys stored more than once
	total int
}

// readHistory pages back through room's whole history (200 per page).
func readHistory(ctx context.Context, c *client, room string) (roomHistory, error) {
	h := roomHistory{ids: map[string]bool{}, keys: map[msgKey]string{}, ts: map[msgKey]int64{}}
	before := ""
	for page := 0; page < 100000; page++ {
		a, err := c.call(ctx, "history", historyArg{Room: room, Before: before, Limit: 200})
		if err != nil {
			return h, fmt.Errorf("history %s page %d: %w", room, page, err)
		}
		for _, m := range a.Messages {
			h.total++
			h.ids[m.ID] = true
			if k, _, ok := parseText(m.Text); ok {
				if _, seen := h.keys[k]; seen {
					h.dups++
				}
				h.keys[k] = m.ID
				h.ts[k] = m.TS
			}
		}
		if !a.More || len(a.Messages) == 0 {
			return h, nil
		}
		before = a.Messages[0].ID
	}
	return h, nil
}
