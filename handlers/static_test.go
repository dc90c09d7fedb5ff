package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestClientBundleMissing: a server built without `make setup-node` (a
// plain `go build ./cmd/server` on a fresh clone) has no socket.io client
// to embed. It says so at start, and the bundle's URL answers with an
// explicit error naming the command to run, not a JSON 404 that a browser
// refuses as a script without a word.
func TestClientBundleMissing(t *testing.T) {
	e := newEnv(t) // its files have no lib/socket.io.min.js
	if !strings.Contains(e.logs.String(), "make build") {
		t.Errorf("no warning at start; logs:\n%s", e.logs)
	}
	rec := e.do(http.MethodGet, "/lib/socket.io.min.js", "")
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	if body := rec.Body.String(); !strings.Contains(body, "make build") || !strings.Contains(body, "socket.io") {
		t.Errorf("body %q does not say what is missing and what to run", body)
	}
}
