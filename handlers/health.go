package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"rtserver/internal/apierr"
)

// Healthz answers 200 {"status":"ok"} while the process serves HTTP.
func Healthz() gin.HandlerFunc {
	body := []byte(`{"status":"ok"}`)
	return func(c *gin.Context) { c.Data(http.StatusOK, "application/json", body) }
}

// Readyz answers 200 {"status":"ready"} when ping (the store check)
// succeeds within two seconds, else 503 {"error":{"code":"unavailable",...}};
// the cause goes to the log only. When degraded (nil: never) reports an
// error the answer is 200 {"status":"degraded","redis":"unavailable"}: the
// node still serves its own clients, so a load balancer should keep it.
func Readyz(log *slog.Logger, ping func(context.Context) error, degraded func() error) gin.HandlerFunc {
	log = orDiscard(log)
	ok := []byte(`{"status":"ready"}`)
	notAll := []byte(`{"status":"degraded","redis":"unavailable"}`)
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := ping(ctx); err != nil {
			log.WarnContext(ctx, "not ready", "err", err)
			c.Data(http.StatusServiceUnavailable, "application/json", apierr.HTTPBody(apierr.Unavailable))
			return
		}
		if degraded != nil {
			if err := degraded(); err != nil {
				log.WarnContext(ctx, "degraded", "err", err)
				c.Data(http.StatusOK, "application/json", notAll)
				return
			}
		}
		c.Data(http.StatusOK, "application/json", ok)
	}
}

// orDiscard returns log, or a logger that drops everything when log is nil.
func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
