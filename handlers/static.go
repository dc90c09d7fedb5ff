package handlers

import (
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"

	"github.com/gin-gonic/gin"

	"rtserver/internal/apierr"
)

// Static returns a handler serving one file of the embedded demo page. The
// file is read once here; a missing file answers 404 (see ClientBundle for
// the one file a build can lack).
func Static(files fs.FS, name string) gin.HandlerFunc {
	body, err := fs.ReadFile(files, name)
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	return func(c *gin.Context) {
		if err != nil {
			writeError(c, apierr.NotFound)
			return
		}
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, ctype, body)
	}
}

// clientBundleMissing is what a build without the socket.io client says,
// at start and to whoever asks for the bundle.
const clientBundleMissing = "the socket.io client bundle (lib/socket.io.min.js) is not in this build, so the demo page cannot connect: " +
	"build with `make build` (or run `make setup-node` before `go build ./cmd/server`)"

// ClientBundle serves the socket.io-client browser build embedded at
// set-up (`make setup-node` copies it from npm; it is never committed). A
// server built without it (a plain `go build` on a fresh clone) logs a
// warning once here, and the URL answers 503 with a plain-text message
// naming the command to run: a browser refuses a JSON 404 as a script
// without saying why, and the page reports it (app.js).
func ClientBundle(log *slog.Logger, files fs.FS, name string) gin.HandlerFunc {
	if _, err := fs.Stat(files, name); err == nil {
		return Static(files, name)
	}
	orDiscard(log).Warn(clientBundleMissing)
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		c.Data(http.StatusServiceUnavailable, "text/plain; charset=utf-8", []byte(clientBundleMissing+"\n"))
	}
}
