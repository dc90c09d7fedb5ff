package apierr_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"rtserver/internal/apierr"
)

func TestCodes(t *testing.T) {
	tests := []struct {
		code   apierr.Code
		status int
	}{
		{apierr.BadRequest, http.StatusBadRequest},
		{apierr.Forbidden, http.StatusForbidden},
		{apierr.NotFound, http.StatusNotFound},
		{apierr.RateLimited, http.StatusTooManyRequests},
		{apierr.Unauthenticated, http.StatusUnauthorized},
		{apierr.InvalidCredentials, http.StatusUnauthorized},
		{apierr.Internal, http.StatusInternalServerError},
		{apierr.Unavailable, http.StatusServiceUnavailable},
		{apierr.Code("made_up"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := tt.code.Status(); got != tt.status {
			t.Errorf("%s.Status() = %d, want %d", tt.code, got, tt.status)
		}
		if tt.code.Message() == "" {
			t.Errorf("%s has no message", tt.code)
		}
	}
}

func TestCodeOf(t *testing.T) {
	if got := apierr.CodeOf(fmt.Errorf("wrap: %w", apierr.New(apierr.Forbidden))); got != apierr.Forbidden {
		t.Errorf("CodeOf(wrapped forbidden) = %s", got)
	}
	if got := apierr.CodeOf(errors.New("sql: database is locked")); got != apierr.Internal {
		t.Errorf("CodeOf(library error) = %s, want internal", got)
	}
}

func TestHTTPBodyNoNewline(t *testing.T) {
	b := apierr.HTTPBody(apierr.BadRequest)
	if b[len(b)-1] == '\n' {
		t.Fatal("trailing newline")
	}
}

func ExampleHTTPBody() {
	fmt.Println(string(apierr.HTTPBody(apierr.InvalidCredentials)))
	// Output: {"error":{"code":"invalid_credentials","message":"invalid username or password"}}
}
