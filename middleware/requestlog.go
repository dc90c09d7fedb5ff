package middleware

import (
	"log/slog"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// RequestLog returns Gin middleware that writes one slog record per request
// (method, path, redacted query, status, size, duration, client IP). It
// never logs headers, cookies or a credential from the query string or
// from ";" parameters in the path (see RedactQuery). Requests carrying an
// Engine.IO sid (long polls and their POSTs, many per second per client)
// are logged at debug, and their sid only as engineio.LogID; 5xx answers
// are errors, the rest info. A nil log discards.
func RequestLog(log *slog.Logger) gin.HandlerFunc {
	log = orDiscard(log)
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		raw := c.Request.URL.RawQuery
		level := slog.LevelInfo
		status := c.Writer.Status()
		switch {
		case status >= 500:
			level = slog.LevelError
		case hasSID(raw):
			level = slog.LevelDebug
		}
		ctx := c.Request.Context()
		if !log.Enabled(ctx, level) {
			return
		}
		path := c.Request.URL.Path
		if i := strings.IndexByte(path, ';'); i >= 0 {
			path = path[:i+1] + RedactQuery(path[i+1:])
		}
		log.LogAttrs(ctx, level, "http request",
			slog.String("method", c.Request.Method),
			slog.String("path", path),
			slog.String("query", RedactQuery(raw)),
			slog.Int("status", status),
			slog.Int("bytes", c.Writer.Size()),
			slog.Duration("duration", time.Since(start)),
			slog.String("ip", c.ClientIP()),
		)
	}
}

// orDiscard returns log, or a logger that drops everything when log is nil.
func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
