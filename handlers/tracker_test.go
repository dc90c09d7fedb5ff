package handlers_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"rtserver/handlers"
)

func TestTracker(t *testing.T) {
	tr := handlers.NewTracker()
	var ended sync.Map
	end := func(k string) func() { return func() { ended.Store(k, true); tr.Remove(k) } }
	tr.Add("/#1", "u1", "alice", "j1", "s1", end("/#1"))
	tr.Add("/chat#2", "u1", "alice", "", "s1", end("/chat#2"))
	tr.Add("/#3", "u1", "alice", "j2", "s2", end("/#3"))
	tr.Add("/#4", "u2", "bob", "j3", "s3", end("/#4"))

	online := tr.Online()
	if len(online) != 2 || online[0] != (handlers.OnlineUser{ID: "u1", Name: "alice", Sockets: 3}) || online[1].Sockets != 1 {
		t.Fatalf("Online = %+v", online)
	}
	if n := tr.DisconnectCredential("j1", "s1"); n != 2 {
		t.Errorf("DisconnectCredential = %d, want 2", n)
	}
	for _, k := range []string{"/#1", "/chat#2"} {
		if _, ok := ended.Load(k); !ok {
			t.Errorf("%s not ended", k)
		}
	}
	if _, ok := ended.Load("/#3"); ok {
		t.Error("other session ended")
	}
	if n := tr.DisconnectUser("u2"); n != 1 || tr.Len() != 1 {
		t.Errorf("DisconnectUser = %d, left %d", n, tr.Len())
	}
	if n := tr.DisconnectCredential("", ""); n != 0 {
		t.Errorf("empty credential matched %d", n)
	}
	tr.Remove("/#3")
	tr.Remove("/#3")
	if tr.Len() != 0 || len(tr.Online()) != 0 {
		t.Errorf("not empty: %d %v", tr.Len(), tr.Online())
	}
}

func TestTrackerConcurrent(t *testing.T) {
	tr := handlers.NewTracker()
	var calls atomic.Int64
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				k := fmt.Sprintf("/#%d-%d", i, j)
				tr.Add(k, fmt.Sprintf("u%d", j%5), "n", "j", "s", func() { calls.Add(1); tr.Remove(k) })
				if j%10 == 0 {
					tr.DisconnectUser(fmt.Sprintf("u%d", j%5))
				}
				tr.Online()
			}
		}()
	}
	wg.Wait()
	tr.DisconnectCredential("j", "s")
	if tr.Len() != 0 {
		t.Errorf("left %d", tr.Len())
	}
}

func ExampleTracker() {
	tr := handlers.NewTracker()
	tr.Add("/chat#a", "u1", "alice", "jti-1", "sess-1", func() { fmt.Println("disconnect /chat#a") })
	tr.Add("/#b", "u1", "alice", "jti-2", "sess-2", func() { fmt.Println("disconnect /#b") })
	fmt.Println(tr.Online())
	tr.DisconnectCredential("jti-1", "sess-1")
	// Output:
	// [{u1 alice 2}]
	// disconnect /chat#a
}
