package config_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"rtserver/internal/config"
	"rtserver/internal/tlscert/certtest"
)

// TestTLSFiles: TLS_CERT_FILE and TLS_KEY_FILE come together; a missing or
// bad file, or a key that is not the certificate's, is refused with the
// variable of the file at fault.
func TestTLSFiles(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "test CA")
	dir := t.TempDir()
	cert, key := ca.Issue(t, "srv", "127.0.0.1").Write(t, dir)
	otherKey := filepath.Join(dir, "other-key.pem")
	certtest.WriteFile(t, otherKey, ca.Issue(t, "other", "127.0.0.1").KeyPEM)
	garbage := filepath.Join(dir, "garbage.pem")
	certtest.WriteFile(t, garbage, []byte("-----BEGIN NOTHING-----\n"))
	missing := filepath.Join(dir, "missing.pem")

	c, err := config.FromEnv(env(map[string]string{"TLS_CERT_FILE": cert, "TLS_KEY_FILE": key}))
	if err != nil || !c.TLS() || c.TLSCertFile != cert || c.TLSKeyFile != key {
		t.Fatalf("both set: TLS %v, %+v, %v", c.TLS(), c, err)
	}
	if c, err := config.FromEnv(env(nil)); err != nil || c.TLS() {
		t.Fatalf("neither: TLS %v, %v", c.TLS(), err)
	}

	tests := []struct {
		cert, key string
		wantVar   string
		wantMsg   string
	}{
		{cert, "", "TLS_CERT_FILE", "set without TLS_KEY_FILE"},
		{"", key, "TLS_KEY_FILE", "set without TLS_CERT_FILE"},
		{missing, key, "TLS_CERT_FILE", "no such file"},
		{garbage, key, "TLS_CERT_FILE", "no PEM CERTIFICATE"},
		{key, key, "TLS_CERT_FILE", "no PEM CERTIFICATE"},
		{cert, missing, "TLS_KEY_FILE", "no such file"},
		{cert, garbage, "TLS_KEY_FILE", "key file"},
		{cert, cert, "TLS_KEY_FILE", "key file"},
		{cert, otherKey, "TLS_KEY_FILE", "does not match"},
	}
	for _, tt := range tests {
		_, err := config.FromEnv(env(map[string]string{"TLS_CERT_FILE": tt.cert, "TLS_KEY_FILE": tt.key}))
		var ve *config.VarError
		if !errors.As(err, &ve) || ve.Var != tt.wantVar {
			t.Errorf("cert %q key %q: %v, want an error naming %s", tt.cert, tt.key, err, tt.wantVar)
			continue
		}
		if !strings.HasPrefix(err.Error(), tt.wantVar+": ") || !strings.Contains(err.Error(), tt.wantMsg) {
			t.Errorf("cert %q key %q: %q, want %s: …%s…", tt.cert, tt.key, err, tt.wantVar, tt.wantMsg)
		}
	}
}
