// Command floorserver is the floor of the load comparison (test/load/run.sh): the least a
// Go server must do to serve the load scenarios, so the engine's numbers can be read
// against it. It upgrades with gorilla/websocket, answers the Engine.IO open packet and the
// Socket.IO CONNECT (auth {token} must equal LOAD_TOKEN), acks "join" and "echo", and
// for "broadcast" frames `42["msg",payload]` once and writes it with one raw net.Conn
// Write per recipient under that connection's lock, straight from the sender's read
// goroutine: no queues, no writer goroutines, no pings, no polling. A slow client blocks
// the sender; it is a floor, not a server.
//
// It prints "listening http://ADDR" when ready and exits on SIGTERM/SIGINT.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "floorserver:", err)
		os.Exit(1)
	}
}

// conn is one client: the raw socket and the lock every writer takes.
type conn struct {
	mu sync.Mutex
	nc net.Conn
}

func (c *conn) write(frame []byte) {
	c.mu.Lock()
	_, _ = c.nc.Write(frame)
	c.mu.Unlock()
}

type hub struct {
	token string
	mu    sync.RWMutex
	rooms map[string][]*conn
	next  int64
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	h := &hub{token: getenv("LOAD_TOKEN"), rooms: map[string][]*conn{}}
	if h.token == "" {
		h.token = "load-token"
	}
	up := websocket.Upgrader{ReadBufferSize: 512, WriteBufferPool: &sync.Pool{}}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/socket.io/", func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		h.serve(ws)
	})
	if a := getenv("LOAD_PPROF_ADDR"); a != "" { // as in test/load/goserver; never set by run.sh
		pm := http.NewServeMux()
		pm.HandleFunc("/debug/pprof/", pprof.Index)
		pm.HandleFunc("/debug/pprof/profile", pprof.Profile)
		pln, err := net.Listen("tcp", a)
		if err != nil {
			return err
		}
		defer pln.Close()
		go func() { _ = http.Serve(pln, pm) }()
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	fmt.Fprintf(stdout, "listening http://%s\n", ln.Addr())
	<-ctx.Done()
	return hs.Close()
}

// frame returns the unmasked server text frame holding msg.
func frame(msg []byte) []byte {
	n := len(msg)
	b := make([]byte, 0, n+10)
	switch {
	case n < 126:
		b = append(b, 0x81, byte(n))
	case n < 1<<16:
		b = append(b, 0x81, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x81, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, msg...)
}

func (h *hub) serve(ws *websocket.Conn) {
	defer ws.Close()
	c := &conn{nc: ws.UnderlyingConn()}
	var joined []string
	defer func() {
		h.mu.Lock()
		for _, r := range joined {
			m := h.rooms[r]
			for i, x := range m {
				if x == c {
					m[i] = m[len(m)-1]
					m = m[:len(m)-1]
					break
				}
			}
			if len(m) == 0 {
				delete(h.rooms, r)
			} else {
				h.rooms[r] = m
			}
		}
		h.mu.Unlock()
	}()
	h.mu.Lock()
	h.next++
	sid := "floor" + strconv.FormatInt(h.next, 10)
	h.mu.Unlock()
	c.write(frame([]byte(`0{"sid":"` + sid + `","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)))
	for {
		_, m, err := ws.ReadMessage()
		if err != nil {
			return
		}
		switch {
		case len(m) >= 2 && m[0] == '4' && m[1] == '0':
			var a struct {
				Token string `json:"token"`
			}
			_ = json.Unmarshal(m[2:], &a)
			if a.Token != h.token {
				c.write(frame([]byte(`44{"message":"unauthorized","data":{"code":"invalid_token"}}`)))
				continue
			}
			c.write(frame([]byte(`40{"sid":"` + sid + `"}`)))
		case len(m) >= 2 && m[0] == '4' && m[1] == '2':
			i := 2
			for i < len(m) && m[i] >= '0' && m[i] <= '9' {
				i++
			}
			id := m[2:i]
			var args []json.RawMessage
			if json.Unmarshal(m[i:], &args) != nil || len(args) == 0 {
				continue
			}
			var event, room string
			_ = json.Unmarshal(args[0], &event)
			if len(args) > 1 {
				_ = json.Unmarshal(args[1], &room)
			}
			switch event {
			case "join":
				h.mu.Lock()
				h.rooms[room] = append(h.rooms[room], c)
				h.mu.Unlock()
				joined = append(joined, room)
				c.write(frame([]byte("43" + string(id) + "[true]")))
			case "echo":
				rest := "]" // the arguments after the event name, as sent
				if len(args) > 1 {
					rest = string(m[i+1+len(args[0])+1:])
				}
				c.write(frame([]byte("43" + string(id) + "[" + rest)))
			case "broadcast":
				if len(args) < 3 {
					continue
				}
				f := frame(append(append([]byte(`42["msg",`), args[2]...), ']'))
				h.mu.RLock()
				members := h.rooms[room]
				for _, x := range members {
					if x != c {
						x.write(f)
					}
				}
				h.mu.RUnlock()
			}
		case len(m) == 1 && m[0] == '3': // pong
		}
	}
}
