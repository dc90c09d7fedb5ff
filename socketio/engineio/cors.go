package engineio

import (
	"net/http"
	"strings"
)

// setCORS adds the CORS headers for r's Origin when Config.CORS allows it.
func (srv *Server) setCORS(w http.ResponseWriter, r *http.Request) {
	c := srv.cfg.CORS
	if c == nil {
		return
	}
	origin := r.Header.Get("Origin")
	if origin == "" || (c.AllowOrigin != nil && !c.AllowOrigin(origin)) {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// preflight answers an OPTIONS request: 204 with the CORS headers, or 400 when CORS is
// not configured.
func (srv *Server) preflight(w http.ResponseWriter, r *http.Request) {
	c := srv.cfg.CORS
	if c == nil {
		srv.refuse(w, r, errBadRequest)
		return
	}
	srv.setCORS(w, r)
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	if len(c.AllowHeaders) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ", "))
	} else if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
		h.Set("Access-Control-Allow-Headers", rh)
	}
	h.Set("Access-Control-Max-Age", "86400")
	h.Add("Vary", "Access-Control-Request-Headers")
	w.WriteHeader(http.StatusNoContent)
}
