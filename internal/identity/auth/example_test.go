package auth_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"rtserver/internal/identity/auth"
)

func Example() {
	secret := []byte("an-example-secret-of-at-least-32-bytes")
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	issuer, _ := auth.NewIssuer(secret, 15*time.Minute, "rtserver", "", now)
	verifier, _ := auth.NewVerifier(auth.VerifierConfig{Secret: secret, Issuer: "rtserver", Now: now})

	token, _, _ := issuer.Issue(auth.User{ID: "alice", Name: "Alice", Teams: []string{"red"}})

	claims, err := verifier.Verify(context.Background(), token)
	fmt.Println(claims.Subject, claims.InTeam("red"), err)

	_, err = verifier.Verify(context.Background(), token+"x")
	fmt.Println(errors.Is(err, auth.ErrInvalidToken))
	// Output:
	// alice true <nil>
	// true
}
