package socketio

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"
)

// Handshake's JSON is Node's socket.handshake: the same keys, and values of the same
// types (headers as Node's IncomingMessage.headers, query values strings or arrays).
func TestHandshakeJSONIsNodes(t *testing.T) {
	r := &http.Request{
		URL:        &url.URL{Path: "/socket.io/", RawQuery: "EIO=4&transport=polling&tag=a&tag=b"},
		Header:     http.Header{},
		RemoteAddr: "127.0.0.1:40000",
		Host:       "example.test",
	}
	r.Header.Add("Origin", "http://x.test")
	r.Header.Add("Accept", "a")
	r.Header.Add("Accept", "b")
	r.Header.Add("Cookie", "a=1")
	r.Header.Add("Cookie", "b=2")
	r.Header.Add("Set-Cookie", "c=3")
	r.Header.Add("User-Agent", "first")
	r.Header.Add("User-Agent", "second")
	hs := newHandshake(r, []byte(`{"token":"t"}`), "", 5)
	hs.Time = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	hs.Issued = hs.Time.UnixMilli()
	b, err := json.Marshal(hs)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"address", "auth", "headers", "issued", "query", "secure", "time", "url", "xdomain"}; !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want %v (%s)", keys, want, b)
	}
	var got struct {
		Headers map[string]any `json:"headers"`
		Time    string         `json:"time"`
		Address string         `json:"address"`
		XDomain bool           `json:"xdomain"`
		Secure  bool           `json:"secure"`
		Issued  int64          `json:"issued"`
		URL     string         `json:"url"`
		Query   map[string]any `json:"query"`
		Auth    map[string]any `json:"auth"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	wantHeaders := map[string]any{
		"host": "example.test", "origin": "http://x.test", "accept": "a, b", "cookie": "a=1; b=2",
		"set-cookie": []any{"c=3"}, "user-agent": "first",
	}
	if !reflect.DeepEqual(got.Headers, wantHeaders) {
		t.Errorf("headers %v, want %v", got.Headers, wantHeaders)
	}
	if got.Time != "Fri Jan 02 2026 03:04:05 GMT+0000 (Coordinated Universal Time)" || got.Issued != 1767323045000 {
		t.Errorf("time %q issued %d", got.Time, got.Issued)
	}
	if got.Address != "127.0.0.1" || !got.XDomain || got.Secure || got.URL != "/socket.io/?EIO=4&transport=polling&tag=a&tag=b" {
		t.Errorf("address %q xdomain %v secure %v url %q", got.Address, got.XDomain, got.Secure, got.URL)
	}
	if !reflect.DeepEqual(got.Query, map[string]any{"EIO": "4", "transport": "polling", "tag": []any{"a", "b"}}) {
		t.Errorf("query %v", got.Query)
	}
	if got.Auth["token"] != "t" {
		t.Errorf("auth %v", got.Auth)
	}

	// It reads back (RemoteSocket JSON from another node).
	var back Handshake
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Time.Equal(hs.Time) || back.Host != "example.test" || back.Header.Get("Origin") != "http://x.test" ||
		!slices.Equal(back.Query["tag"], []string{"a", "b"}) || string(back.Auth) != `{"token":"t"}` ||
		back.URL != hs.URL || back.Issued != hs.Issued || back.RemoteAddr != "127.0.0.1" {
		t.Errorf("read back %+v", back)
	}
}
