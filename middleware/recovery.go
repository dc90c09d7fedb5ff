package middleware

import (
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/gin-gonic/gin"

	"rtserver/internal/apierr"
)

// Recovery returns Gin middleware that turns a handler panic into a 500
// {"error":{"code":"internal",...}} and one error record with the stack.
// Unlike gin.Recovery it never dumps the request (whose query or headers
// may hold a token). http.ErrAbortHandler is re-panicked, as net/http
// expects, so an aborted response is not logged as a bug.
func Recovery(log *slog.Logger) gin.HandlerFunc {
	log = orDiscard(log)
	return func(c *gin.Context) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			log.ErrorContext(c.Request.Context(), "panic in handler",
				"method", c.Request.Method,
				"path", c.Request.URL.Path,
				"panic", v,
				"stack", string(debug.Stack()))
			if !c.Writer.Written() {
				c.Data(http.StatusInternalServerError, "application/json", apierr.HTTPBody(apierr.Internal))
			}
			c.Abort()
		}()
		c.Next()
	}
}
