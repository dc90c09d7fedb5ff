package main

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"rtserver/handlers"
	"rtserver/internal/config"
	"rtserver/internal/identity"
	"rtserver/public"
	"rtserver/socketio"
	"rtserver/socketio/admin"
)

// wireAdminUI serves the Socket.IO Admin UI when ADMIN_UI=1: its protocol on
// ADMIN_UI_NAMESPACE and its files at /admin-ui/. Off, it returns nils.
func wireAdminUI(cfg config.Config, io *socketio.Server, ident *identity.Service, limiter *handlers.LoginLimiter,
	sockets *handlers.Tracker, log *slog.Logger) (*admin.Admin, fs.FS, error) {
	if !cfg.AdminUI {
		return nil, nil, nil
	}
	files, err := fs.Sub(public.FS(), "adminui")
	if err != nil {
		return nil, nil, err
	}
	// Nodes of a cluster on one machine share the hostname: the UI tells
	// them apart by serverId.
	serverID := cfg.NodeID
	if serverID == "" {
		host, _ := os.Hostname()
		serverID = fmt.Sprintf("%s#%d", host, os.Getpid())
	}
	a, err := handlers.AdminUI(io, handlers.AdminUIDeps{
		Log:       log,
		Namespace: cfg.AdminUINamespace,
		Mode:      admin.Mode(cfg.AdminUIMode),
		ReadOnly:  cfg.AdminUIReadOnly,
		ServerID:  serverID,
		Authn:     ident,
		Sessions:  ident,
		Revoker:   ident,
		Limiter:   limiter,
		Sockets:   sockets,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("ADMIN_UI: %w", err)
	}
	log.Info("admin UI on", "path", "/admin-ui/", "nsp", cfg.AdminUINamespace, "mode", cfg.AdminUIMode, "readonly", cfg.AdminUIReadOnly)
	return a, files, nil
}
