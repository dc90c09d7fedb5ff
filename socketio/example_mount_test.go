package socketio_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"rtserver/socketio"
)

// printOpenAndConnect dials the Socket.IO endpoint under base, connects to "/" with
// auth, and prints the answer and the next more packets.
func printOpenAndConnect(base, auth string, more int) {
	c := dialExample("ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket")
	defer c.close()
	c.send(`40` + auth)
	for range 1 + more {
		c.print()
	}
}

// Mounting the server on a net/http mux next to other routes. Shut the Socket.IO
// server down before the HTTP server: http.Server.Shutdown does not wait for
// WebSockets.
func Example_netHTTP() {
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	})
	ts := httptest.NewServer(mux) // in production: an http.Server with ReadHeaderTimeout

	printOpenAndConnect(ts.URL, "", 0)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	ts.Close()
	// Output:
	// 40{"sid":"…"}
}

// Mounting the server on a Gin router: every method (GET and POST for polling,
// OPTIONS for CORS preflights) under /socket.io/.
func Example_gin() {
	gin.SetMode(gin.ReleaseMode)
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		panic(err)
	}
	r := gin.New()
	r.Any("/socket.io/*any", gin.WrapH(srv))
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	ts := httptest.NewServer(r)

	printOpenAndConnect(ts.URL, "", 0)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	ts.Close()
	// Output:
	// 40{"sid":"…"}
}

// userKey is the Set/Get key of the authenticated user; an unexported type keeps
// other packages off it.
type userKey struct{}

// errBadToken is what the token check returns for any token it refuses.
var errBadToken = errors.New("bad token")

// Authentication in the handshake: the client's auth payload (socket.io-client's
// `auth` option) is checked by a middleware, which refuses with a ConnectError the
// client sees as connect_error {message, data}, or stores who the user is.
func Example_authMiddleware() {
	verify := func(token string) (string, error) { // e.g. a JWT verifier
		if token == "t0k3n" {
			return "alice", nil
		}
		return "", errBadToken
	}
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		panic(err)
	}
	srv.Use(func(s *socketio.Socket) error {
		var auth struct {
			Token string `json:"token"`
		}
		_ = json.Unmarshal(s.Handshake().Auth, &auth)
		user, err := verify(auth.Token)
		if err != nil {
			return &socketio.ConnectError{Message: "unauthorized", Data: map[string]string{"code": "invalid_token"}}
		}
		s.Set(userKey{}, user)
		return s.Join("user:" + user) // a room per user, for notifications
	})
	srv.OnConnection(func(s *socketio.Socket) {
		_ = s.Emit("hello", s.Get(userKey{}))
	})
	ts := httptest.NewServer(srv)

	printOpenAndConnect(ts.URL, `{"token":"forged"}`, 0)
	printOpenAndConnect(ts.URL, `{"token":"t0k3n"}`, 1)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	ts.Close()
	// Output:
	// 44{"message":"unauthorized","data":{"code":"invalid_token"}}
	// 40{"sid":"…"}
	// 42["hello","alice"]
}
