package middleware

import (
	"net/http"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"

	"rtserver/internal/apierr"
)

// CORS returns Gin middleware answering CORS for the origins o allows
// (credentials allowed, so the exact origin is echoed). A request from a
// foreign Origin is refused first with a 403 JSON body; gin-contrib/cors
// would refuse it too, but with an empty body. Same-origin requests and
// requests without Origin pass untouched.
func CORS(o *Origins) gin.HandlerFunc {
	inner := cors.New(cors.Config{
		AllowOriginWithContextFunc: func(c *gin.Context, origin string) bool {
			return o.AllowedOrigin(c.Request, origin)
		},
		AllowMethods:     []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowHeaders:     []string{"Authorization", "Content-Type"},
		AllowCredentials: true,
		MaxAge:           10 * time.Minute,
	})
	return func(c *gin.Context) {
		if !o.Check(c.Request) {
			c.Data(http.StatusForbidden, "application/json", apierr.HTTPBody(apierr.Forbidden))
			c.Abort()
			return
		}
		inner(c)
	}
}
