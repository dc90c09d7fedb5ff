package main

import (
	"context"
	"crypto"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"rtserver/handlers"
	"rtserver/internal/config"
	"rtserver/internal/identity"
	"rtserver/internal/identity/auth"
	"rtserver/internal/metrics"
	"rtserver/internal/store"
	"rtserver/internal/tlscert"
	"rtserver/middleware"
	"rtserver/public"
	"rtserver/rooms"
	"rtserver/socketio"
	"rtserver/socketio/engineio"
)

// app is everything run needs after wiring.
type app struct {
	log             *slog.Logger
	addr            string
	handler         http.Handler
	io              *socketio.Server
	pollWait        time.Duration
	readHeader      time.Duration
	read            time.Duration
	shutdownTimeout time.Duration
	closeStore      func()
	// leaveCluster runs first on shutdown: this node's users leave the
	// shared presence while the other nodes can still be told.
	leaveCluster func(context.Context)
	// purge deletes expired sessions and revoked token ids (the store's
	// DeleteExpired); trimInbox applies the notification retention
	// (TrimNotifications). janitor runs both at start and every purgeEvery.
	purge      func(context.Context, time.Time) (int64, error)
	trimInbox  func(context.Context) (int64, error)
	purgeEvery time.Duration
	// metricsAddr is where metrics (GET /metrics only) are served; ""
	// means off.
	metricsAddr string
	metrics     http.Handler
	// tls serves the certificate of the public listener; nil means plain
	// HTTP (TLS_CERT_FILE and TLS_KEY_FILE unset).
	tls *tlscert.Reloader
}

// janitor purges expired sessions and revocations and trims the
// notification inboxes, off every request's path, until ctx ends.
func (a *app) janitor(ctx context.Context) {
	t := time.NewTicker(a.purgeEvery)
	defer t.Stop()
	now := time.Now()
	for {
		n, err := a.purge(ctx, now)
		if err != nil && ctx.Err() == nil {
			a.log.Warn("purge expired sessions", "err", err)
		} else if n > 0 {
			a.log.Debug("purged expired sessions", "rows", n)
		}
		n, err = a.trimInbox(ctx)
		if err != nil && ctx.Err() == nil {
			a.log.Warn("trim notifications", "err", err)
		} else if n > 0 {
			a.log.Info("trimmed notifications", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case now = <-t.C:
		}
	}
}

// newLogger returns the slog logger LOG_FORMAT and LOG_LEVEL ask for.
func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == config.LogText {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// build reads the config through getenv and wires every dependency. A bad
// value returns an error naming the variable (config.FromEnv does that).
// On error nothing is left open.
func build(ctx context.Context, getenv func(string) string, stdout io.Writer) (_ *app, err error) {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	log := newLogger(stdout, cfg)
	log.Info("config", "config", cfg)
	certs, err := loadTLS(cfg, log)
	if err != nil {
		return nil, err
	}

	var pub crypto.PublicKey
	if cfg.JWTPublicKeyFile != "" {
		if pub, err = auth.LoadPublicKeyFile(cfg.JWTPublicKeyFile); err != nil {
			return nil, fmt.Errorf("JWT_PUBLIC_KEY_FILE: %w", err)
		}
	}
	secret, generated, err := cfg.ResolveSecret()
	if err != nil {
		return nil, fmt.Errorf("JWT_SECRET/DATA_DIR: %w", err)
	}
	if generated {
		log.Warn("JWT_SECRET is empty: generated a random secret and stored it in DATA_DIR; set JWT_SECRET in production", "dir", cfg.DataDir)
	}

	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = st.Close()
		}
	}()
	cl, err := openCluster(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			cl.close(log)
		}
	}()
	if cfg.Demo {
		seeded, err := store.SeedDemo(ctx, st)
		if err != nil {
			return nil, fmt.Errorf("DEMO: seed demo users: %w", err)
		}
		if seeded {
			log.Warn("DEMO=1: seeded the demo users (alice, bob, carol, admin; passwords <name>-pass)")
		}
	}

	issuer, err := auth.NewIssuer(secret, cfg.TokenTTL, cfg.JWTIssuer, cfg.JWTAudience, nil)
	if err != nil {
		return nil, fmt.Errorf("JWT_SECRET: %w", err)
	}
	verifier, err := auth.NewVerifier(auth.VerifierConfig{
		Secret:      secret,
		PublicKey:   pub,
		PublicKeyID: cfg.JWTPublicKeyID,
		Issuer:      cfg.JWTIssuer,
		Audience:    cfg.JWTAudience,
		Revocations: st,
	})
	if err != nil {
		return nil, fmt.Errorf("JWT_SECRET/JWT_PUBLIC_KEY_FILE: %w", err)
	}
	ident := identity.New(identity.Config{Store: st, Issuer: issuer, Verifier: verifier, SessionTTL: cfg.SessionTTL})

	proxies, err := middleware.NewProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	origins := middleware.NewOrigins(cfg.AllowedOrigins).WithProxies(proxies)
	handshakes, err := middleware.NewHandshakeLimiter(middleware.HandshakeLimit{
		Rate: cfg.HandshakeRate, Burst: cfg.HandshakeBurst, Proxies: proxies,
	})
	if err != nil {
		return nil, fmt.Errorf("HANDSHAKE_RATE/HANDSHAKE_BURST: %w", err)
	}
	policy := roomPolicy{rooms.NewPolicy()}
	var recovery *socketio.RecoveryConfig
	if cfg.RecoveryWindow > 0 {
		// The auth middleware runs before a session is restored, so a
		// revoked or expired token cannot come back this way; the session
		// then returns only to the login that owned it, with the rooms the
		// room policy allows now.
		rec := handlers.NewRecovery(policy)
		recovery = &socketio.RecoveryConfig{
			MaxDisconnectionDuration: cfg.RecoveryWindow,
			Owner:                    rec.Owner,
			KeepRoom:                 rec.KeepRoom,
		}
	}
	io, err := socketio.NewServer(socketio.Config{
		Engine: engineio.Config{
			PingInterval: cfg.PingInterval,
			PingTimeout:  cfg.PingTimeout,
			MaxPayload:   int64(cfg.MaxPayload),
			AllowEIO3:    cfg.LegacyClients,
			SIDPrefix:    cfg.NodeID,
			CheckOrigin:  origins.Check,
			AllowRequest: handshakes.Allow,
			CORS: &engineio.CORS{
				AllowOrigin:      origins.Listed,
				AllowCredentials: true,
				AllowHeaders:     []string{"Authorization", "Content-Type"},
			},
			Logger: log,
		},
		ConnectTimeout:    cfg.ConnectTimeout,
		Recovery:          recovery,
		NewAdapter:        cl.newAdapter(),
		MaxRoomsPerSocket: cfg.MaxRoomsPerSocket,
		Logger:            log,
	})
	if err != nil {
		return nil, fmt.Errorf("socket.io config: %w", err)
	}
	shared, err := cl.startPresence(ctx, io, cfg.PresenceTTL, log)
	if err != nil {
		shutdownIO(io)
		return nil, err
	}
	mx := metrics.New(io)
	timed := metrics.TimedStore{Store: st, M: mx}
	sockets := handlers.NewTracker()
	handlers.Namespaces(io, handlers.SocketDeps{
		Log:               log,
		Verifier:          ident,
		Sockets:           sockets,
		Rooms:             policy,
		Auth:              middleware.AuthOptions{Credentials: identity.NewCredentials(cfg.AuthSources, origins.HasAllowedOrigin, handlers.SessionCookie)},
		AuthAfterConnect:  cfg.AuthAfterConnect,
		AuthTimeout:       cfg.AuthTimeout,
		MaxText:           cfg.ChatMaxText,
		EventRate:         cfg.EventRate,
		EventBurst:        cfg.EventBurst,
		MaxSocketsPerUser: cfg.MaxSocketsPerUser,
		ExpiryGrace:       cfg.ExpiryGrace,
		Revoker:           ident,
		Chat:              timed,
		Inbox:             timed,
		Observer:          mx,
		Users:             st,
		Presence:          rooms.NewPresence(),
		Shared:            shared,
		PublicRooms:       cfg.PublicRooms,
	})
	limiter := handlers.NewLoginLimiter(5, time.Minute, nil)
	adminUI, uiFiles, err := wireAdminUI(cfg, io, ident, limiter, sockets, log)
	if err != nil {
		shutdownIO(io)
		return nil, err
	}
	router, err := handlers.Router(handlers.Deps{
		Log:            log,
		Origins:        origins,
		Authn:          ident,
		Verifier:       ident,
		Revoker:        ident,
		Refresher:      ident,
		Limiter:        limiter,
		Sockets:        sockets,
		Ready:          st.Ping,
		Degraded:       cl.degraded,
		Files:          public.FS(),
		AdminUI:        uiFiles,
		IO:             mx.CountHandshakes(io),
		TrustedProxies: proxies,
		Publish: handlers.PublishDeps{
			Log:      log,
			Keys:     cfg.PublishKeys(),
			Verifier: ident,
			Users:    st,
			Inbox:    timed,
			Sockets:  sockets,
			IO:       io,
			Observer: mx,
			Shared:   shared,
		},
		Observer: mx,
	})
	if err != nil {
		if adminUI != nil {
			adminUI.Close()
		}
		shutdownIO(io)
		return nil, fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	return &app{
		log:             log,
		addr:            cfg.Addr,
		tls:             certs,
		handler:         router,
		metricsAddr:     cfg.MetricsAddr,
		metrics:         metricsHandler(mx.Handler()),
		io:              io,
		pollWait:        cfg.PingInterval,
		readHeader:      cfg.ReadHeaderTimeout,
		read:            cfg.ReadTimeout,
		shutdownTimeout: cfg.ShutdownTimeout,
		purge:           st.DeleteExpired,
		trimInbox:       st.TrimNotifications,
		purgeEvery:      10 * time.Minute,
		leaveCluster:    func(ctx context.Context) { cl.stopPresence(ctx, log) },
		closeStore: func() {
			if adminUI != nil {
				adminUI.Close()
			}
			cl.close(log)
			if err := st.Close(); err != nil {
				log.Warn("store close", "err", err)
			}
		},
	}, nil
}

// metricsHandler serves h at GET /metrics and nothing else.
func metricsHandler(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	return mux
}

// shutdownIO stops a Socket.IO server that never served.
func shutdownIO(io *socketio.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = io.Shutdown(ctx)
}

// roomPolicy adapts rooms.Policy to handlers.RoomPolicy.
type roomPolicy struct{ p rooms.Policy }

func (r roomPolicy) CanJoin(c identity.Claims, room string) error {
	return r.p.CanJoin(rooms.Principal{ID: c.UserID, Teams: c.Teams, Roles: c.Roles}, room)
}
