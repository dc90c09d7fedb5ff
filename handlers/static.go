package handlers

import (
	"io/fs"
	"mime"
	"net/http"
	"path"

	"github.com/gin-gonic/gin"

	"rtserver/internal/apierr"
)

// Static returns a handler serving one file of the embedded demo page. The
// file is read once here; a missing file (the client library on a tree
// where `make setup-node` has not run) answers 404.
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
