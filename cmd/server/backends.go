package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"rtserver/handlers"
	"rtserver/internal/config"
	"rtserver/internal/store"
	"rtserver/rooms"
	"rtserver/rooms/redispresence"
	"rtserver/socketio"
	"rtserver/socketio/redisadapter"
	"rtserver/socketio/redisadapter/streams"
)

// openStore opens PostgreSQL when DATABASE_URL is set, else the SQLite
// file in DATA_DIR. Errors never repeat the URL (it may hold a password).
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (store.Store, error) {
	opts := store.Options{
		HistoryLimit: cfg.HistoryLimit, HistoryMaxAge: cfg.HistoryMaxAge,
		NotificationLimit: cfg.NotificationLimit, NotificationRetention: cfg.NotificationRetention,
		Log: log,
	}
	if u := cfg.DatabaseURL.Reveal(); u != "" {
		st, err := store.OpenPostgres(ctx, u, opts)
		if err != nil {
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		log.Info("store: PostgreSQL")
		return st, nil
	}
	st, err := store.Open(ctx, cfg.DataDir, opts)
	if err != nil {
		return nil, fmt.Errorf("DATA_DIR %s: %w", cfg.DataDir, err)
	}
	log.Info("store: SQLite", "dir", cfg.DataDir)
	return st, nil
}

// cluster is the Redis side of a deployment of several nodes: the
// Socket.IO adapter (broadcasts, kicks and logouts reach every node) and,
// once started, the shared presence.
type cluster struct {
	rdb      *redis.Client
	adapter  clusterAdapter
	presence *redispresence.Presence
}

// openCluster connects to REDIS_URL; nil without one (a single node).
// The first connection is not required to succeed: a node that starts
// while Redis is down serves its own clients and joins the cluster when
// Redis comes back (/readyz says degraded meanwhile).
func openCluster(ctx context.Context, cfg config.Config, log *slog.Logger) (*cluster, error) {
	u := cfg.RedisURL.Reveal()
	if u == "" {
		return nil, nil
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		return nil, errors.New("REDIS_URL: not a valid redis:// URL")
	}
	rdb := redis.NewClient(opts)
	var adapter clusterAdapter
	if cfg.RedisAdapter == "streams" {
		ttl := cfg.RecoveryWindow
		if ttl <= 0 {
			ttl = time.Minute
		}
		adapter, err = streams.New(ctx, streams.Config{Client: rdb, MaxLen: int64(cfg.RedisStreamMaxLen), SessionTTL: ttl, Logger: log})
	} else {
		adapter, err = redisadapter.New(ctx, redisadapter.Config{Client: rdb, Logger: log})
	}
	if err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	log.Info("cluster: Redis adapter", "kind", cfg.RedisAdapter, "node", adapter.UID())
	return &cluster{rdb: rdb, adapter: adapter}, nil
}

// clusterAdapter is what the node needs of either Redis adapter.
type clusterAdapter interface {
	NewAdapter(socketio.AdapterHost) socketio.Adapter
	UID() string
	Err() error
	Close() error
}

// newAdapter is socketio.Config.NewAdapter: nil (in-memory) for one node.
func (c *cluster) newAdapter() func(socketio.AdapterHost) socketio.Adapter {
	if c == nil {
		return nil
	}
	return c.adapter.NewAdapter
}

// startPresence starts the shared presence (users counted over every
// node; a stopped node's users announced offline after ttl) once io
// exists, for its OnGone announcements. Nil for one node.
func (c *cluster) startPresence(ctx context.Context, io *socketio.Server, ttl time.Duration, log *slog.Logger) (rooms.Shared, error) {
	if c == nil {
		return nil, nil
	}
	p, err := redispresence.New(ctx, redispresence.Config{
		Client: c.rdb,
		TTL:    ttl,
		OnGone: handlers.AnnounceGone(io),
		Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("PRESENCE_TTL: %w", err)
	}
	c.presence = p
	return p, nil
}

// stopPresence departs this node's users from the shared presence and
// announces those now on no node, while the adapter can still tell the
// other nodes; it runs before the Socket.IO server shuts down.
func (c *cluster) stopPresence(ctx context.Context, log *slog.Logger) {
	if c == nil || c.presence == nil {
		return
	}
	if err := c.presence.Shutdown(ctx); err != nil {
		log.Warn("shared presence shutdown", "err", err)
	}
}

// degraded reports why the cluster cannot reach the other nodes, or nil.
func (c *cluster) degraded() error {
	if c == nil {
		return nil
	}
	return c.adapter.Err()
}

// close stops the adapter and the client, after the Socket.IO server shut
// down (which closed the namespace adapters).
func (c *cluster) close(log *slog.Logger) {
	if c == nil {
		return
	}
	if c.presence != nil {
		c.presence.Close()
	}
	if err := c.adapter.Close(); err != nil {
		log.Warn("redis adapter close", "err", err)
	}
	if err := c.rdb.Close(); err != nil {
		log.Warn("redis close", "err", err)
	}
}
