package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"rtserver/internal/config"
	"rtserver/internal/identity/auth"
	"rtserver/internal/store"
	"rtserver/socketio"
)

// The benchmarks below measure the product as cmd/server wires it (build:
// the SQLite store, the real JWT verifier with its revocation lookup, the
// session and user checks, the tracker, presence, metrics, the info log
// written to io.Discard) against the bare engine, over real WebSocket
// connections on 127.0.0.1. Only HANDSHAKE_RATE is turned off: every
// connect comes from one address. The clients are raw TCP connections
// speaking just enough WebSocket to send CONNECT, so their own cost is a
// net.Conn each (included in B/socket: the figures are upper bounds).
//
//	go test -run '^$' -bench IdleChat -benchtime 1x ./cmd/server/
//	go test -run '^$' -bench AuthenticatedHandshake -benchtime 4000x ./cmd/server/
//
// Profiles: -memprofilerate 1024 -idleprofile heap.out (the heap while the
// idle sockets are connected), -cpuprofile cpu.out for the handshakes.

// idleProfile, when set, is where idleChatMemory writes a heap profile
// while its sockets are connected (-memprofile is written after they
// closed): go tool pprof -sample_index=inuse_space -top FILE.
var idleProfile = flag.String("idleprofile", "", "write a heap profile of the idle sockets to this file")

// benchSecret is the JWT secret of the benchmark server.
const benchSecret = "bench-secret-0123456789abcdef0123456789abcdef"

// benchServer is a running product (or bare engine) and a token per user.
type benchServer struct {
	addr   string
	tokens []string
	count  func() int // connected sockets
}

// benchEnv is the product's environment in the benchmarks.
func benchEnv(dir string) func(string) string {
	return env(map[string]string{
		"JWT_SECRET":     benchSecret,
		"DATA_DIR":       dir,
		"HANDSHAKE_RATE": "0",
		"METRICS_ADDR":   "off",
	})
}

// seedUsers stores users u0..u<n-1>, each with a live session, and
// returns a token of each, issued as Login would.
func seedUsers(b *testing.B, dir string, n int) []string {
	b.Helper()
	ctx := context.Background()
	cfg, err := config.FromEnv(benchEnv(dir))
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	iss, err := auth.NewIssuer([]byte(benchSecret), time.Hour, cfg.JWTIssuer, cfg.JWTAudience, nil)
	if err != nil {
		b.Fatal(err)
	}
	tokens := make([]string, n)
	end := time.Now().Add(2 * time.Hour)
	for i := range tokens {
		id := "u" + strconv.Itoa(i)
		if err := st.CreateUser(ctx, store.User{ID: id, Username: id, DisplayName: "User " + strconv.Itoa(i), Teams: []string{"red"}}); err != nil {
			b.Fatal(err)
		}
		sid, err := store.NewSessionID()
		if err != nil {
			b.Fatal(err)
		}
		tok, c, err := iss.Issue(auth.User{ID: id, Name: "User " + strconv.Itoa(i), Teams: []string{"red"}, SessionID: sid, NotAfter: end})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.CreateSession(ctx, store.Session{ID: sid, UserID: id, JTI: c.ID, ExpiresAt: end}); err != nil {
			b.Fatal(err)
		}
		tokens[i] = tok
	}
	return tokens
}

// startProduct builds the product with n users and serves it.
func startProduct(b *testing.B, n int) *benchServer {
	b.Helper()
	gin.SetMode(gin.ReleaseMode)
	dir := b.TempDir()
	tokens := seedUsers(b, dir, n)
	a, err := build(context.Background(), benchEnv(dir), io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(a.handler)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.io.Shutdown(ctx)
		ts.Close()
		a.closeStore()
	})
	return &benchServer{addr: ts.Listener.Addr().String(), tokens: tokens, count: a.io.Of("/chat").Len}
}

// startEngine serves the bare engine, with the product's engine defaults
// and a /chat namespace without middleware or handlers.
func startEngine(b *testing.B, n int) *benchServer {
	b.Helper()
	io, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		b.Fatal(err)
	}
	chat := io.Of("/chat")
	ts := httptest.NewServer(io)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = io.Shutdown(ctx)
		ts.Close()
	})
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = "token-" + strconv.Itoa(i)
	}
	return &benchServer{addr: ts.Listener.Addr().String(), tokens: tokens, count: chat.Len}
}

// connectChat opens a WebSocket to addr, reads the open packet, sends
// CONNECT to /chat with auth {token} and reads until the CONNECT answer,
// which must be a success. Only the connection is kept.
func connectChat(addr, token string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (net.Conn, error) { c.Close(); return nil, err }
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"+
		"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
	r := bufio.NewReaderSize(c, 1024)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return fail(err)
		}
		if line == "\r\n" {
			break
		}
	}
	if m, err := readFrame(r); err != nil || !strings.HasPrefix(m, "0") {
		return fail(fmt.Errorf("open packet %q: %v", m, err))
	}
	if err := writeFrame(c, `40/chat,{"token":"`+token+`"}`); err != nil {
		return fail(err)
	}
	for {
		m, err := readFrame(r)
		if err != nil {
			return fail(err)
		}
		if strings.HasPrefix(m, "40/chat,") {
			break
		}
		if strings.HasPrefix(m, "44/chat,") {
			return fail(errors.New("connect refused: " + m))
		}
	}
	if r.Buffered() > 0 {
		return fail(errors.New("unexpected frame after CONNECT"))
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

// readFrame reads one unmasked, unfragmented server frame.
func readFrame(r *bufio.Reader) (string, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return "", err
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return "", err
		}
		n = int(binary.BigEndian.Uint16(l[:]))
	case 127:
		return "", errors.New("frame too large")
	}
	p := make([]byte, n)
	_, err := io.ReadFull(r, p)
	return string(p), err
}

// writeFrame writes a masked text frame (under 126 bytes of payload
// lengths are extended as needed).
func writeFrame(c net.Conn, msg string) error {
	f := []byte{0x81}
	if len(msg) < 126 {
		f = append(f, 0x80|byte(len(msg)))
	} else {
		f = append(f, 0x80|126, byte(len(msg)>>8), byte(len(msg)))
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	f = append(f, mask[:]...)
	for i := 0; i < len(msg); i++ {
		f = append(f, msg[i]^mask[i%4])
	}
	_, err := c.Write(f)
	return err
}

// memInUse returns heap in use plus goroutine stacks after a GC.
func memInUse() (heap, stack uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, m.StackInuse
}

func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

// waitCount waits until s has want connected /chat sockets.
func waitCount(b *testing.B, s *benchServer, want int) {
	b.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.count() != want {
		if time.Now().After(deadline) {
			b.Fatalf("%d /chat sockets, want %d", s.count(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// idleChatMemory connects n authenticated /chat sockets and reports the
// heap and stacks they hold, per socket.
func idleChatMemory(b *testing.B, start func(*testing.B, int) *benchServer) {
	const n = 2000
	for b.Loop() {
		s := start(b, n)
		// One socket first, so that lazily built shared state (pools,
		// prepared statements, maps) is not counted per socket.
		warm, err := connectChat(s.addr, s.tokens[0])
		if err != nil {
			b.Fatal(err)
		}
		waitCount(b, s, 1)
		heap0, stack0 := memInUse()
		conns := make([]net.Conn, 0, n)
		for i := 1; i < n; i++ {
			c, err := connectChat(s.addr, s.tokens[i])
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
		}
		waitCount(b, s, n)
		time.Sleep(100 * time.Millisecond) // writers and flushers park
		heap1, stack1 := memInUse()
		if *idleProfile != "" {
			writeHeapProfile(b, *idleProfile)
		}
		per := float64(n - 1)
		// Signed: the stacks in use can shrink while the sockets connect (a GC
		// shrinks the stacks of goroutines that grew them earlier).
		grew := func(after, before uint64) float64 { return float64(int64(after) - int64(before)) }
		b.ReportMetric((grew(heap1, heap0)+grew(stack1, stack0))/per, "B/socket")
		b.ReportMetric(grew(stack1, stack0)/per, "stackB/socket")
		closeAll(conns)
		warm.Close()
		waitCount(b, s, 0)
	}
}

// BenchmarkIdleChatMemory is heap+stack per idle authenticated /chat
// WebSocket socket of the product (target: at most ~9 KiB).
func BenchmarkIdleChatMemory(b *testing.B) { idleChatMemory(b, startProduct) }

// BenchmarkIdleChatMemoryEngine is the same with the bare engine: the
// difference with BenchmarkIdleChatMemory is the application's share.
func BenchmarkIdleChatMemoryEngine(b *testing.B) { idleChatMemory(b, startEngine) }

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// authenticatedHandshake opens sockets one after the other: TCP connect,
// WebSocket upgrade, open packet, CONNECT to /chat with a JWT, and the
// server's answer (for the product: verify, revocation, session and user
// lookups, admission, tracker, join, presence, log). Sockets are closed
// 1,000 at a time with the timer stopped. cpu-ns/op is the process's CPU
// (client included, a few syscalls) per connect.
func authenticatedHandshake(b *testing.B, start func(*testing.B, int) *benchServer) {
	const batch = 1000
	s := start(b, 2*batch)
	conns := make([]net.Conn, 0, batch)
	b.ReportAllocs()
	cpu, i := cpuTime(), 0
	for b.Loop() {
		c, err := connectChat(s.addr, s.tokens[i%len(s.tokens)])
		if err != nil {
			b.Fatal(err)
		}
		i++
		conns = append(conns, c)
		if len(conns) == batch {
			b.StopTimer()
			cpu -= cpuTime()
			closeAll(conns)
			conns = conns[:0]
			waitCount(b, s, 0)
			cpu += cpuTime()
			b.StartTimer()
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(i), "cpu-ns/op")
	closeAll(conns)
}

// BenchmarkAuthenticatedHandshake is the CPU of one authenticated /chat
// connect of the product (target: at most 0.3x Node's ~350 µs).
func BenchmarkAuthenticatedHandshake(b *testing.B) { authenticatedHandshake(b, startProduct) }

// BenchmarkAuthenticatedHandshakeEngine is the same with the bare engine.
func BenchmarkAuthenticatedHandshakeEngine(b *testing.B) {
	authenticatedHandshake(b, startEngine)
}
