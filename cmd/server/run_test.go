package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// lines is an io.Writer that hands run's stdout to the test line by line.
type lines struct {
	mu  sync.Mutex
	buf strings.Builder
	ch  chan string
	pw  *io.PipeWriter
}

// listeningLine and metricsLine match what run prints on start: the
// public URL and, unless METRICS_ADDR=off, the metrics URL.
var (
	listeningLine = regexp.MustCompile(`rtserver listening on (https?://127\.0\.0\.1:\d+)/`)
	metricsLine   = regexp.MustCompile(`rtserver metrics on (http://127\.0\.0\.1:\d+/metrics)`)
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// start runs run in the background and returns its base URL, its output so
// far and a stop function that returns run's error. METRICS_ADDR defaults
// to 127.0.0.1:0.
func start(t *testing.T, vars map[string]string) (string, func() string, func() error) {
	t.Helper()
	if vars["DATA_DIR"] == "" {
		vars["DATA_DIR"] = t.TempDir()
	}
	vars["ADDR"] = "127.0.0.1:0"
	if vars["METRICS_ADDR"] == "" {
		// Tests run in parallel: the default port would collide.
		vars["METRICS_ADDR"] = "127.0.0.1:0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var (
		mu  sync.Mutex
		out strings.Builder
	)
	urls := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			mu.Lock()
			out.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
	}()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"server"}, env(vars), pw); pw.Close() }()
	output := func() string { mu.Lock(); defer mu.Unlock(); return out.String() }
	// stop is idempotent, so a test may both defer it and call it.
	stop := sync.OnceValue(func() error {
		cancel()
		err := <-done
		<-scanned
		return err
	})
	select {
	case u := <-urls:
		return u, output, stop
	case err := <-done:
		pw.Close()
		<-scanned
		cancel()
		t.Fatalf("run returned early: %v\n%s", err, output())
	case <-time.After(30 * time.Second):
		t.Fatalf("no URL printed:\n%s", output())
	}
	return "", nil, nil
}

func TestRunServesAndStops(t *testing.T) {
	base, output, stop := start(t, map[string]string{"DEMO": "1", "JWT_SECRET": "run-test-secret-0123456789abcdef012345"})
	for _, p := range []string{"/healthz", "/readyz", "/"} {
		res, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
	res, err := http.Post(base+"/login", "application/json", strings.NewReader(`{"username":"alice","password":"alice-pass"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("login: %d", res.StatusCode)
	}
	if err := stop(); err != nil {
		t.Errorf("run: %v\n%s", err, output())
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after stop")
	}
}

func TestRunGeneratesSecret(t *testing.T) {
	dir := t.TempDir()
	_, output, stop := start(t, map[string]string{"DATA_DIR": dir})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.ToLower(output()), "secret") {
		t.Errorf("log does not mention the generated secret:\n%s", output())
	}
	entries, _ := os.ReadDir(dir)
	found := false
	for _, e := range entries {
		if strings.Contains(strings.ToLower(e.Name()), "secret") {
			found = true
		}
	}
	if !found {
		t.Errorf("no secret file in %s: %v", dir, entries)
	}
}

func TestRunBadConfig(t *testing.T) {
	tests := map[string]string{
		"TOKEN_TTL":          "forever",
		"AUTH_TIMEOUT":       "-1s",
		"AUTH_AFTER_CONNECT": "maybe",
		"AUTH_SOURCES":       "auth,carrier-pigeon",
		"DEMO":               "yes please",
	}
	for name, value := range tests {
		t.Run(name, func(t *testing.T) {
			vars := map[string]string{"ADDR": "127.0.0.1:0", "DATA_DIR": t.TempDir(), name: value}
			err := run(context.Background(), []string{"server"}, env(vars), io.Discard)
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("run with %s=%q: %v (want an error naming the variable)", name, value, err)
			}
		})
	}
}

func TestRunWiresEngineOptions(t *testing.T) {
	base, output, stop := start(t, map[string]string{
		"ALLOWED_ORIGINS": "http://ok.test",
		"MAX_PAYLOAD":     "8KB",
		"CHAT_MAX_TEXT":   "1024",
		"PING_INTERVAL":   "3s",
		"PING_TIMEOUT":    "2s",
		"LOG_FORMAT":      "text",
	})
	handshake := func(origin string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+"/socket.io/?EIO=4&transport=polling", nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, body := handshake("http://ok.test")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("allowed origin: %d %s", res.StatusCode, body)
	}
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "http://ok.test" {
		t.Errorf("Access-Control-Allow-Origin = %q", got)
	}
	if got := res.Header.Get("Access-Control-Allow-Credentials"); got != "true" {
		t.Errorf("Access-Control-Allow-Credentials = %q", got)
	}
	for _, want := range []string{`"maxPayload":8192`, `"pingInterval":3000`, `"pingTimeout":2000`} {
		if !strings.Contains(body, want) {
			t.Errorf("handshake %s lacks %s", body, want)
		}
	}
	if res, body := handshake(base); res.StatusCode != http.StatusOK {
		t.Errorf("same origin: %d %s", res.StatusCode, body)
	}
	if res, body := handshake(""); res.StatusCode != http.StatusOK {
		t.Errorf("no Origin: %d %s", res.StatusCode, body)
	}
	if res, _ := handshake("http://ok.test.evil.io"); res.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: %d, want 403", res.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if out := output(); !strings.Contains(out, "level=INFO msg=listening") {
		t.Errorf("LOG_FORMAT=text: not a text log:\n%s", out)
	}
}

// TestRunShutdownClosesSockets checks the shutdown order: a connected
// socket's long poll is ended by the engine's shutdown, so run returns well
// within SHUTDOWN_TIMEOUT instead of waiting for the poll.
func TestRunShutdownClosesSockets(t *testing.T) {
	base, output, stop := start(t, map[string]string{
		"DEMO":             "1",
		"JWT_SECRET":       "run-test-secret-0123456789abcdef012345",
		"SHUTDOWN_TIMEOUT": "8s",
	})
	res, err := http.Post(base+"/login", "application/json", strings.NewReader(`{"username":"alice","password":"alice-pass"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct{ Token string }
	err = json.NewDecoder(res.Body).Decode(&login)
	res.Body.Close()
	if err != nil || login.Token == "" {
		t.Fatalf("login: %v", err)
	}
	get := func(url string) string {
		res, err := http.Get(url)
		if err != nil {
			return "error: " + err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	eio := base + "/socket.io/?EIO=4&transport=polling"
	hs := get(eio)
	var h struct{ SID string }
	if !strings.HasPrefix(hs, "0") || json.Unmarshal([]byte(hs[1:]), &h) != nil {
		t.Fatalf("handshake: %q", hs)
	}
	eio += "&sid=" + h.SID
	if res, err := http.Post(eio, "text/plain", strings.NewReader(`40{"token":"`+login.Token+`"}`)); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
	}
	if got := get(eio); !strings.HasPrefix(got, `40{"sid":`) {
		t.Fatalf("connect: %q", got)
	}
	poll := make(chan string, 1)
	go func() { poll <- get(eio) }()
	time.Sleep(100 * time.Millisecond) // let the poll reach the server

	began := time.Now()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("shutdown took %v with one socket connected", d)
	}
	select {
	case got := <-poll:
		if strings.HasPrefix(got, "error") {
			t.Errorf("long poll failed instead of being closed: %s", got)
		}
	case <-time.After(2 * time.Second):
		t.Error("the long poll was not ended by the shutdown")
	}
	if strings.Contains(output(), login.Token) {
		t.Error("the token appears in the log")
	}
}
