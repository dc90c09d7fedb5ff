package redispresence

import (
	"crypto/rand"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"rtserver/rooms"
)

// Defaults of Config, documented on its fields.
const (
	DefaultPrefix = "rt:presence:"
	DefaultTTL    = 30 * time.Second
)

// Config configures a Presence. The zero value of every field but Client
// means its documented default.
type Config struct {
	// Client runs the scripts. It is not closed by Presence.Close. With a
	// Redis Cluster or Ring client, Prefix must contain a hash tag. Required.
	Client redis.UniversalClient
	// Node identifies this node's entries; it must be unique among the
	// nodes sharing Prefix, or two nodes would refresh and depart each
	// other's entries. Default: a random id, new at every start, so a
	// restarted node never inherits its previous life's entries.
	Node string
	// Prefix starts every key. The scripts touch several keys at once, so
	// on a Redis Cluster every key must hash to one slot: give the prefix a
	// hash tag such as "{rt:presence}:". Default "rt:presence:".
	Prefix string
	// TTL is how long this node's entries live without a refresh: after a
	// crash, its users are announced gone within about TTL+Refresh.
	// Every key also expires (3×TTL after its last write), so an abandoned
	// cluster leaves nothing behind. Default 30s.
	TTL time.Duration
	// Refresh is the period of the refresh and janitor loop, and the bound
	// of one pass of it. It must be less than TTL; a third of it leaves two
	// refreshes to fail before entries expire. Default TTL/3.
	Refresh time.Duration
	// OnGone is told about each user who left a room on every node without
	// a Depart reporting it: entries that expired (their node crashed or
	// lost Redis for longer than TTL), and this node's users on Close.
	// Across the cluster it is called once per such departure, by the node
	// that removed the last entry, from that node's loop goroutine (or from
	// Close), never under a lock. Nil: nobody is told.
	OnGone func(room string, m rooms.Member)
	// Logger receives failures of the background loop, once per outage and
	// once on recovery. Nil discards.
	Logger *slog.Logger
}

// Default returns the defaults for the fields that have one (Client and
// OnGone are left nil; Node is a new random id).
func Default() Config {
	return Config{}.withDefaults()
}

func (c Config) withDefaults() Config {
	if c.Node == "" {
		c.Node = rand.Text()
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.Refresh == 0 {
		c.Refresh = c.TTL / 3
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first invalid field of c, defaults applied, so a
// node refuses to start rather than run with a surprising value.
func (c Config) Validate() error {
	switch {
	case c.Client == nil:
		return errors.New("redispresence: Client is required")
	case c.TTL < time.Millisecond:
		return errors.New("redispresence: TTL must be at least 1ms")
	case c.Refresh <= 0 || c.Refresh >= c.TTL:
		return errors.New("redispresence: Refresh must be positive and less than TTL")
	}
	switch c.Client.(type) {
	case *redis.ClusterClient, *redis.Ring:
		if !hasHashTag(c.Prefix) {
			return errors.New("redispresence: Prefix needs a hash tag ({...}) on a sharded client")
		}
	}
	return nil
}

// hasHashTag reports whether s contains a non-empty {...}, which decides
// the slot of every key that starts with s.
func hasHashTag(s string) bool {
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return false
	}
	j := strings.IndexByte(s[i+1:], '}')
	return j > 0
}
