// Package public embeds the demo page (index.html, app.js, style.css), the
// socket.io-client browser build copied to lib/ by `make setup-node`, and
// the Socket.IO Admin UI it copies to adminui/.
//
// Embedding keeps the server independent of its working directory; the
// committed lib/README.md makes the embed pattern match on a clean clone.
// FS is read-only and safe for concurrent use.
package public

import (
	"embed"
	"io/fs"
)

//go:embed index.html app.js style.css lib adminui
var files embed.FS

// FS returns the embedded demo files rooted at the page directory, so
// "index.html" and "lib/socket.io.min.js" are paths in it. It returns a
// value rather than exposing a package variable so callers cannot swap it.
func FS() fs.FS { return files }
