package engineio

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

// headerRecorder is a Config with InitialHeaders and Headers hooks that set headers and
// record which requests they ran for.
type headerRecorder struct {
	mu      sync.Mutex
	initial []string // "METHOD transport sid" of each InitialHeaders call
	every   []string // the same for Headers
}

func (hr *headerRecorder) config() Config {
	cfg := fastConfig()
	cfg.InitialHeaders = func(h http.Header, r *http.Request) {
		h.Add("Set-Cookie", "io=hs; Path=/; HttpOnly")
		hr.mu.Lock()
		hr.initial = append(hr.initial, describe(r))
		hr.mu.Unlock()
	}
	cfg.Headers = func(h http.Header, r *http.Request) {
		h.Set("X-Engine", "rt")
		hr.mu.Lock()
		hr.every = append(hr.every, describe(r))
		hr.mu.Unlock()
	}
	return cfg
}

func describe(r *http.Request) string {
	q := r.URL.Query()
	return r.Method + " " + q.Get("transport") + " " + map[bool]string{true: "sid", false: "-"}[q.Get("sid") != ""]
}

func TestHeadersHooks(t *testing.T) {
	hr := &headerRecorder{}
	e := newEnv(t, hr.config(), nil)

	// Polling: the handshake response gets both, later responses Headers only.
	res, err := e.ts.Client().Get(e.url + "?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 512)
	n, _ := res.Body.Read(body)
	res.Body.Close()
	sid := strings.SplitN(strings.SplitN(string(body[:n]), `"sid":"`, 2)[1], `"`, 2)[0]
	if c := res.Header.Values("Set-Cookie"); len(c) != 1 || c[0] != "io=hs; Path=/; HttpOnly" || res.Header.Get("X-Engine") != "rt" {
		t.Fatalf("handshake response headers %v", res.Header)
	}
	res, err = e.ts.Client().Post(e.url+"?EIO=4&transport=polling&sid="+sid, "text/plain", strings.NewReader("3"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("Set-Cookie") != "" || res.Header.Get("X-Engine") != "rt" {
		t.Fatalf("POST response headers %v", res.Header)
	}

	// WebSocket: the upgrade response of a handshake gets both, a probe's Headers only.
	c, wsRes, err := e.dialErr("EIO=4&transport=websocket")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if wsRes.Header.Get("Set-Cookie") != "io=hs; Path=/; HttpOnly" || wsRes.Header.Get("X-Engine") != "rt" {
		t.Fatalf("WebSocket handshake response headers %v", wsRes.Header)
	}
	c, wsRes, err = e.dialErr("EIO=4&transport=websocket&sid=" + sid)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if wsRes.Header.Get("Set-Cookie") != "" || wsRes.Header.Get("X-Engine") != "rt" {
		t.Fatalf("probe response headers %v", wsRes.Header)
	}

	hr.mu.Lock()
	defer hr.mu.Unlock()
	if got := strings.Join(hr.initial, ","); got != "GET polling -,GET websocket -" {
		t.Errorf("InitialHeaders ran for %s", got)
	}
	if got := strings.Join(hr.every, ","); got != "GET polling -,POST polling sid,GET websocket -,GET websocket sid" {
		t.Errorf("Headers ran for %s", got)
	}
}
