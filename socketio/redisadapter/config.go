package redisadapter

import (
	"errors"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of Config, documented on its fields.
const (
	DefaultKey             = "socket.io"
	DefaultRequestsTimeout = 5 * time.Second
	DefaultPublishTimeout  = time.Second
	DefaultQueueSize       = 4096
	DefaultHealthInterval  = 3 * time.Second
)

// Config configures a Cluster. The zero value of every field but Client means its
// documented default.
type Config struct {
	// Client publishes and runs PUBSUB NUMSUB. It is not closed by Cluster.Close. Required.
	Client redis.UniversalClient
	// SubClient holds the subscription connection, for deployments that keep pub/sub
	// on a separate client. Nil: Client.
	SubClient redis.UniversalClient
	// Key prefixes every channel, as the Node adapter's key option. Default "socket.io".
	Key string
	// RequestsTimeout bounds how long FetchSockets and Sockets wait for the other nodes,
	// and how long acks of a broadcast from another node that set no timeout are
	// collected. Default 5s (the Node adapter's default).
	RequestsTimeout time.Duration
	// PublishTimeout bounds one PUBLISH (or a pipeline of them) so that an unreachable
	// Redis costs a bounded time per batch, never the caller's time. Default 1s.
	PublishTimeout time.Duration
	// QueueSize bounds the messages waiting to be published. Past it a message is dropped
	// and counted, so memory stays bounded while Redis is down. Default 4096.
	QueueSize int
	// HealthInterval is how long the subscription may be silent before it is pinged.
	// Default 3s.
	HealthInterval time.Duration
	// PublishOnSpecificResponseChannel sends responses to the requesting node's own
	// channel (key-response#nsp#uid#) instead of the namespace's, as the Node option of
	// that name. Default false, as in Node 8.x; both kinds of node listen on both.
	PublishOnSpecificResponseChannel bool
	// Logger receives publish failures (at most one record per second) and lost
	// subscriptions. Nil discards.
	Logger *slog.Logger
}

// Default returns the defaults for the fields that have one (Client is left nil).
func Default() Config {
	return Config{}.withDefaults()
}

func (c Config) withDefaults() Config {
	if c.SubClient == nil {
		c.SubClient = c.Client
	}
	if c.Key == "" {
		c.Key = DefaultKey
	}
	if c.RequestsTimeout == 0 {
		c.RequestsTimeout = DefaultRequestsTimeout
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = DefaultPublishTimeout
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.HealthInterval == 0 {
		c.HealthInterval = DefaultHealthInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first invalid field of c, defaults applied, so a node refuses to
// start rather than run with a surprising value.
func (c Config) Validate() error {
	switch {
	case c.Client == nil:
		return errors.New("redisadapter: Client is required")
	case c.RequestsTimeout <= 0:
		return errors.New("redisadapter: RequestsTimeout must be positive")
	case c.PublishTimeout <= 0:
		return errors.New("redisadapter: PublishTimeout must be positive")
	case c.QueueSize <= 0:
		return errors.New("redisadapter: QueueSize must be positive")
	case c.HealthInterval <= 0:
		return errors.New("redisadapter: HealthInterval must be positive")
	}
	return nil
}
