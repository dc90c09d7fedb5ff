package engineio

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a bytes.Buffer for a logger written from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLogID(t *testing.T) {
	if LogID("") != "" {
		t.Error(`LogID("") not empty`)
	}
	a, b := LogID("Zq3sEcretSid0123456_"), LogID("Zq3sEcretSid0123456-")
	if len(a) != 12 || a == b || a != LogID("Zq3sEcretSid0123456_") {
		t.Errorf("LogID: %q %q", a, b)
	}
}

// TestLogsHoldNoSID: the engine's own debug records (session opened,
// request refused, session closed) name a session only by LogID.
func TestLogsHoldNoSID(t *testing.T) {
	var logs lockedBuffer
	cfg := fastConfig()
	cfg.AllowEIO3 = true
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, cfg, nil)
	sid, _ := e.handshake()
	if status, _ := e.do("GET", "EIO=3&transport=polling&sid="+sid, ""); status != 400 {
		t.Errorf("protocol mismatch: %d", status)
	}
	if status, _ := e.post(sid, "1"); status != 200 {
		t.Errorf("close: %d", status)
	}
	e.h.waitClosed(t)
	out := logs.String()
	if strings.Contains(out, sid) {
		t.Errorf("sid in the engine log:\n%s", out)
	}
	for _, msg := range []string{"session opened", "request refused", "session closed"} {
		if !strings.Contains(out, msg) {
			t.Errorf("no %q record:\n%s", msg, out)
		}
	}
	if strings.Count(out, `"sid":"`+LogID(sid)+`"`) != 3 {
		t.Errorf("records not grouped by LogID(sid)=%s:\n%s", LogID(sid), out)
	}
}
