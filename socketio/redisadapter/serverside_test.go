package redisadapter_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"rtserver/socketio"
	"rtserver/socketio/redisadapter"
	"rtserver/socketio/redisadapter/redistest"
)

// TestServerSideEmitWithAck: every other node answers once (the first handler's
// answer, binary kept); a node that does not answer makes the call end at its
// context with the answers so far and ErrAckTimeout.
func TestServerSideEmitWithAck(t *testing.T) {
	rs := redistest.Start(t)
	answer := func(name string, reply any) func(*socketio.Server) {
		return func(s *socketio.Server) {
			s.Of("/").OnServerSideEmit(func(event string, args socketio.Args, ack socketio.Ack) {
				if event != "who" || ack == nil {
					return
				}
				q, _ := args.String(0)
				_ = ack(reply, q)
				_ = ack("ignored: the first answer counts")
			})
		}
	}
	a := newNode(t, rs, redisadapter.Config{}, answer("a", "a"))
	b := newNode(t, rs, redisadapter.Config{}, answer("b", "b"))
	c := newNode(t, rs, redisadapter.Config{}, answer("c", []byte{1, 2}))
	waitServers(t, 3, a, b, c)

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	replies, err := a.srv.Of("/").ServerSideEmitWithAck(ctx, "who", "?")
	if err != nil || len(replies) != 2 {
		t.Fatalf("replies %v err %v", replies, err)
	}
	var got []string
	for _, r := range replies {
		if bin, ok := r.Binary(0); ok {
			got = append(got, string(bin))
		} else {
			s, _ := r.String(0)
			got = append(got, s)
		}
		if r.Len() != 1 {
			t.Fatalf("answer carries %d values, want the first only", r.Len())
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"\x01\x02", "b"}) {
		t.Fatalf("answers %q", got)
	}

	d := newNode(t, rs, redisadapter.Config{}, nil) // never answers
	waitServers(t, 4, a, b, c, d)
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	replies, err = a.srv.Of("/").ServerSideEmitWithAck(ctx, "who", "?")
	if !errors.Is(err, socketio.ErrAckTimeout) || len(replies) != 2 {
		t.Fatalf("replies %d err %v", len(replies), err)
	}
}
