package streams

import (
	"errors"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of Config, documented on its fields.
const (
	DefaultStreamName       = "socket.io"
	DefaultChannelPrefix    = "socket.io"
	DefaultMaxLen           = 10_000
	DefaultReadCount        = 100
	DefaultBlockTime        = time.Second
	DefaultSessionKeyPrefix = "sio:session:"
	DefaultLiveKeyPrefix    = "sio:live:"
	DefaultRequestsTimeout  = 5 * time.Second
	DefaultPublishTimeout   = time.Second
	DefaultSessionTTL       = 2 * time.Minute
	DefaultLiveSync         = 100 * time.Millisecond
	DefaultNodeTTL          = 2 * time.Second
)

// Config configures a Cluster. The zero value of every field but Client means its
// documented default. The first six match the options of the Node adapter of the same
// names, so both kinds of node must agree on them.
type Config struct {
	// Client runs every command (XADD, XREAD, PUBLISH, SET...). It is not closed by
	// Cluster.Close. Required.
	Client redis.UniversalClient
	// StreamName is the stream every namespace shares. Default "socket.io".
	StreamName string
	// ChannelPrefix prefixes the pub/sub channels of requests and answers. Default
	// "socket.io".
	ChannelPrefix string
	// MaxLen trims the stream (MAXLEN ~): a node cut off from Redis longer than it takes
	// the cluster to write MaxLen entries misses some. Default 10000.
	MaxLen int64
	// ReadCount is the number of entries one XREAD returns at most. Default 100.
	ReadCount int64
	// BlockTime is how long one XREAD waits for entries; Close waits up to it. Default 1s.
	BlockTime time.Duration
	// SessionKeyPrefix prefixes the keys of disconnected sessions. Default "sio:session:".
	SessionKeyPrefix string
	// LiveKeyPrefix prefixes the keys of the sessions of connected sockets (and of the
	// nodes' liveness keys), which let another node recover the sockets of a node that
	// died without closing them. Go nodes only. Default "sio:live:".
	LiveKeyPrefix string
	// SessionTTL is how long a session is kept after its socket was lost: set it to
	// RecoveryConfig.MaxDisconnectionDuration. Default 2m.
	SessionTTL time.Duration
	// LiveSync is how often changed live sessions (a join, a leave) are written: the
	// most a crash can lose of a socket's rooms. Default 100ms.
	LiveSync time.Duration
	// NodeTTL is how long a node counts as alive after its last heartbeat (sent every
	// NodeTTL/4); the sessions of a dead node's sockets can be recovered elsewhere.
	// Default 2s.
	NodeTTL time.Duration
	// RequestsTimeout bounds how long FetchSockets, Sockets and ServerSideEmitWithAck wait
	// for the other nodes. Default 5s.
	RequestsTimeout time.Duration
	// PublishTimeout bounds one round trip of the publisher. Default 1s.
	PublishTimeout time.Duration
	// QueueSize bounds the messages waiting for Redis (while it is unreachable, say).
	// Past it a message is dropped and counted. Default MaxLen.
	QueueSize int
	// Logger receives outages and dropped messages. Nil discards.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	set := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	set(&c.StreamName, DefaultStreamName)
	set(&c.ChannelPrefix, DefaultChannelPrefix)
	set(&c.SessionKeyPrefix, DefaultSessionKeyPrefix)
	set(&c.LiveKeyPrefix, DefaultLiveKeyPrefix)
	dur := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	dur(&c.BlockTime, DefaultBlockTime)
	dur(&c.SessionTTL, DefaultSessionTTL)
	dur(&c.LiveSync, DefaultLiveSync)
	dur(&c.NodeTTL, DefaultNodeTTL)
	dur(&c.RequestsTimeout, DefaultRequestsTimeout)
	dur(&c.PublishTimeout, DefaultPublishTimeout)
	if c.MaxLen == 0 {
		c.MaxLen = DefaultMaxLen
	}
	if c.ReadCount == 0 {
		c.ReadCount = DefaultReadCount
	}
	if c.QueueSize == 0 {
		c.QueueSize = int(c.MaxLen)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first invalid field of c, defaults applied.
func (c Config) Validate() error {
	switch {
	case c.Client == nil:
		return errors.New("streams: Client is required")
	case c.MaxLen < 1, c.ReadCount < 1, c.QueueSize < 1:
		return errors.New("streams: MaxLen, ReadCount and QueueSize must be positive")
	case c.BlockTime < time.Millisecond, c.SessionTTL < time.Millisecond, c.LiveSync <= 0,
		c.NodeTTL < 4*time.Millisecond, c.RequestsTimeout <= 0, c.PublishTimeout <= 0:
		return errors.New("streams: durations must be positive (BlockTime, SessionTTL at least 1ms)")
	}
	return nil
}
