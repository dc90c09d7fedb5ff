package handlers

import (
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"rtserver/internal/apierr"
)

// AdminUIContentSecurityPolicy is the policy of the Admin UI's pages, looser
// than the demo page's ContentSecurityPolicy where the UI needs it: its
// components set inline styles, its images include data: URIs, and it
// connects (polling and WebSocket) to this server. Its icon font
// (@mdi/font) is served from here (font-src 'self'): `make setup-node`
// copies it next to the UI and points the page's link at it. Its Google
// Fonts stylesheet is dropped (see AdminUIFiles): the UI falls back to the
// browser's sans-serif.
const AdminUIContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// externalStylesheet matches the UI's <link rel="stylesheet"> to other sites.
var externalStylesheet = regexp.MustCompile(`<link rel="?stylesheet"? href="?https://[^">]*"?>`)

// fontTypes are the types of the icon font's files, which Go's own
// table lacks (it finds them only in the system's mime.types, if any).
var fontTypes = map[string]string{".woff2": "font/woff2", ".woff": "font/woff"}

// adminUIMissing is what a build without the Admin UI files says.
const adminUIMissing = "the Socket.IO Admin UI (public/adminui/) is not in this build: " +
	"build with `make build` (or run `make setup-node` before `go build ./cmd/server`)"

// AdminUIFiles serves the Socket.IO Admin UI (files: its ui/dist, copied by
// `make setup-node` and embedded) under /admin-ui/, with
// AdminUIContentSecurityPolicy. A build without it logs a warning once here
// and answers 503 with a plain-text message naming the command to run.
func AdminUIFiles(log *slog.Logger, files fs.FS) gin.HandlerFunc {
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		orDiscard(log).Warn(adminUIMissing)
		return func(c *gin.Context) {
			c.Header("Cache-Control", "no-store")
			c.Data(http.StatusServiceUnavailable, "text/plain; charset=utf-8", []byte(adminUIMissing+"\n"))
		}
	}
	// The page links Google Fonts (and, in a copy made before the icon
	// font was vendored, @mdi/font) from a CDN: the policy blocks them (and
	// a server may have no Internet), so they are dropped rather than left
	// to fill the console with violations.
	index = externalStylesheet.ReplaceAll(index, nil)
	return func(c *gin.Context) {
		if c.Param("file") == "/" {
			c.Header("Content-Security-Policy", AdminUIContentSecurityPolicy)
			c.Header("Cache-Control", "no-cache")
			c.Data(http.StatusOK, "text/html; charset=utf-8", index)
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+c.Param("file")), "/")
		body, err := fs.ReadFile(files, name)
		if err != nil || name == "README.md" {
			writeError(c, apierr.NotFound)
			return
		}
		ctype := fontTypes[path.Ext(name)]
		if ctype == "" {
			ctype = mime.TypeByExtension(path.Ext(name))
		}
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		c.Header("Content-Security-Policy", AdminUIContentSecurityPolicy)
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, ctype, body)
	}
}
