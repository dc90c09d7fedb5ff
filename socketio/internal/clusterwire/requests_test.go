package clusterwire

import (
	"context"
	"errors"
	"testing"
	"time"

	"rtserver/socketio"
)

var (
	errUnavailable = errors.New("unavailable")
	errTimeout     = errors.New("timeout")
)

// answerLater answers request id of t from n nodes, each adding its name to IDs, once
// the request is registered.
func answerLater(t *Requests, id string, names ...string) func(func(error)) {
	return func(func(error)) {
		req := t.Get(id)
		go func() {
			for _, name := range names {
				t.Answer(id, req, func() { req.IDs = append(req.IDs, name) })
			}
		}()
	}
}

func TestRequestsAwaitAllAnswers(t *testing.T) {
	tab := NewRequests(5*time.Second, errUnavailable, errTimeout)
	req, err := tab.Await(context.Background(), "r1", 3, 3, answerLater(tab, "r1", "b", "c"))
	if err != nil {
		t.Fatal(err)
	}
	if req.Kind != 3 || len(req.IDs) != 2 {
		t.Fatalf("kind %d, answers %v", req.Kind, req.IDs)
	}
	if tab.Get("r1") != nil {
		t.Fatal("a completed request is still in the table")
	}
}

func TestRequestsAwaitOneNodePublishesNothing(t *testing.T) {
	tab := NewRequests(time.Second, errUnavailable, errTimeout)
	req, err := tab.Await(context.Background(), "r1", 1, 1, func(func(error)) { t.Fatal("published with one node") })
	if err != nil || req == nil || len(req.IDs) != 0 {
		t.Fatalf("req %+v, err %v", req, err)
	}
}

func TestRequestsAwaitTimeoutGivesAnswersSoFar(t *testing.T) {
	tab := NewRequests(50*time.Millisecond, errUnavailable, errTimeout)
	req, err := tab.Await(context.Background(), "r1", 1, 4, answerLater(tab, "r1", "b"))
	var pe *socketio.PartialError
	if !errors.As(err, &pe) || !errors.Is(err, errTimeout) {
		t.Fatalf("err %v, want a PartialError wrapping the timeout", err)
	}
	if pe.Answered != 2 || pe.Expected != 4 || len(req.IDs) != 1 {
		t.Fatalf("answered %d of %d, answers %v; want 2 of 4 (this node and b)", pe.Answered, pe.Expected, req.IDs)
	}
	// A late answer is dropped, not added to what the caller already has.
	tab.Answer("r1", req, func() { t.Error("late answer applied") })
}

func TestRequestsAwaitPublishFailed(t *testing.T) {
	tab := NewRequests(5*time.Second, errUnavailable, errTimeout)
	cause := errors.New("queue full")
	start := time.Now()
	_, err := tab.Await(context.Background(), "r1", 1, 2, func(onErr func(error)) { onErr(cause) })
	if !errors.Is(err, errUnavailable) || !errors.Is(err, cause) {
		t.Fatalf("err %v, want unavailable joined with the cause", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("a failed publish waited for the timeout")
	}
}

func TestRequestsFailAllEndsAwait(t *testing.T) {
	tab := NewRequests(5*time.Second, errUnavailable, errTimeout)
	done := make(chan error, 1)
	go func() {
		_, err := tab.Await(context.Background(), "r1", 1, 3, func(func(error)) {})
		done <- err
	}()
	for tab.Get("r1") == nil {
		time.Sleep(time.Millisecond)
	}
	tab.FailAll()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Await still waiting after FailAll")
	}
	if tab.Get("r1") != nil {
		t.Fatal("FailAll left the request")
	}
}

func TestRequestsBroadcast(t *testing.T) {
	tab := NewRequests(time.Second, errUnavailable, errTimeout)
	var counts []int
	onErr := tab.Broadcast(context.Background(), "b1", 7, 3, func(n int) { counts = append(counts, n) }, nil)
	if req := tab.Get("b1"); req == nil || req.Kind != 7 || req.OnCount == nil {
		t.Fatalf("registered %+v", req)
	}
	onErr(errors.New("not published"))
	if len(counts) != 3 || counts[0] != 0 {
		t.Fatalf("counts %v, want a zero for each of the 3 other nodes", counts)
	}
	if tab.Get("b1") != nil {
		t.Fatal("a failed broadcast is still waiting")
	}
	onErr(nil) // a second report changes nothing
	if len(counts) != 3 {
		t.Fatalf("counts %v after a second failure report", counts)
	}

	ctx, cancel := context.WithCancel(context.Background())
	tab.Broadcast(ctx, "b2", 7, 1, func(int) {}, nil)
	cancel()
	deadline := time.Now().Add(2 * time.Second)
	for tab.Get("b2") != nil {
		if time.Now().After(deadline) {
			t.Fatal("a broadcast whose context ended is still waiting")
		}
		time.Sleep(time.Millisecond)
	}
}
