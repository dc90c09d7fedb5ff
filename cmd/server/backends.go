package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"rtserver/internal/config"
	"rtserver/internal/store"
	"rtserver/socketio"
	"rtserver/socketio/redisadapter"
)

// openStore opens PostgreSQL when DATABASE_URL is set, else the SQLite
// file in DATA_DIR. Errors never repeat the URL (it may hold a password).
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (store.Store, error) {
	opts := store.Options{HistoryLimit: cfg.HistoryLimit, HistoryMaxAge: cfg.HistoryMaxAge, Log: log}
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
	rdb     *redis.Client
	adapter *redisadapter.Cluster
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
	adapter, err := redisadapter.New(ctx, redisadapter.Config{Client: rdb, Logger: log})
	if err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	log.Info("cluster: Redis adapter", "node", adapter.UID())
	return &cluster{rdb: rdb, adapter: adapter}, nil
}

// newAdapter is socketio.Config.NewAdapter: nil (in-memory) for one node.
func (c *cluster) newAdapter() func(*socketio.Namespace) socketio.Adapter {
	if c == nil {
		return nil
	}
	return c.adapter.NewAdapter
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
	if err := c.adapter.Close(); err != nil {
		log.Warn("redis adapter close", "err", err)
	}
	if err := c.rdb.Close(); err != nil {
		log.Warn("redis close", "err", err)
	}
}
