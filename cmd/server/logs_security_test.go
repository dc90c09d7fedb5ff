package main

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestSecuritySessionIDNotLogged: for a polling client the Engine.IO sid
// alone is the session, so a sid read from a log would let anyone post as
// its owner. With LOG_LEVEL=debug (the most verbose) a v4 session and a
// legacy v3 one, whose socket id is the engine sid, go through handshake,
// CONNECT, polls and close; no sid or socket id may appear in the log, and
// the access-log records of polling requests are at DEBUG, not INFO.
func TestSecuritySessionIDNotLogged(t *testing.T) {
	base, output, stop := start(t, map[string]string{
		"DEMO":           "1",
		"JWT_SECRET":     securityTestSecret,
		"LOG_LEVEL":      "debug",
		"LEGACY_CLIENTS": "1",
	})
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = stop()
		}
	})
	do := func(method, target, body string) string {
		t.Helper()
		req, err := http.NewRequest(method, base+target, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case target == "/login":
			req.Header.Set("Content-Type", "application/json")
		case method == http.MethodPost:
			req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, target, res.StatusCode, b)
		}
		return string(b)
	}
	var login struct{ Token string }
	if err := json.Unmarshal([]byte(do(http.MethodPost, "/login", `{"username":"alice","password":"alice-pass"}`)), &login); err != nil || login.Token == "" {
		t.Fatalf("login: %v", err)
	}
	sidOf := regexp.MustCompile(`"sid":"([^"]+)"`)
	var secrets []string

	// v4: the socket id is its own random id; both must stay out of the log.
	m := sidOf.FindStringSubmatch(do(http.MethodGet, "/socket.io/?EIO=4&transport=polling", ""))
	if m == nil {
		t.Fatal("v4 handshake without sid")
	}
	poll := "/socket.io/?EIO=4&transport=polling&sid=" + m[1]
	secrets = append(secrets, m[1])
	do(http.MethodPost, poll, `40{"token":"`+login.Token+`"}`)
	reply := do(http.MethodGet, poll, "")
	if m := sidOf.FindStringSubmatch(reply); m != nil {
		secrets = append(secrets, m[1])
	} else {
		t.Fatalf("v4 CONNECT reply %q", reply)
	}
	// A refused request with a live sid is logged by the engine itself.
	if res, err := http.Get(base + strings.Replace(poll, "EIO=4", "EIO=3", 1)); err == nil {
		res.Body.Close()
	}
	do(http.MethodPost, poll, "1")

	// v3 (socket.io-client 2.x): the socket of "/" is named by the engine
	// sid, and the app logs it when the socket connects.
	open := do(http.MethodGet, "/socket.io/?EIO=3&transport=polling&token="+login.Token, "")
	m = sidOf.FindStringSubmatch(open)
	if m == nil || !strings.Contains(open, ":40") {
		t.Fatalf("legacy handshake %q", open)
	}
	secrets = append(secrets, m[1])
	legacy := "/socket.io/?EIO=3&transport=polling&sid=" + m[1]
	do(http.MethodPost, legacy, "1:1")

	stopped = true
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out := output()
	if !strings.Contains(out, `"msg":"socket connected"`) {
		t.Fatalf("no socket connected record: the test did not exercise the app logs\n%s", out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("session or socket id %s in the log:\n%s", s, grepLines(out, s))
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, `"msg":"http request"`) && strings.Contains(line, "sid=") &&
			!strings.Contains(line, `"level":"DEBUG"`) {
			t.Errorf("polling request logged above debug: %s", line)
		}
	}
}
