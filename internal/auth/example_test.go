package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"rtserver/internal/auth"
)

func Example() {
	secret := []byte("an-example-secret-of-at-least-32-bytes")
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	issuer, _ := auth.NewIssuer(secret, 15*time.Minute, "rtserver", "", now)
	verifier, _ := auth.NewVerifier(auth.VerifierConfig{Secret: secret, Issuer: "rtserver", Now: now})

	token, _, _ := issuer.Issue(auth.User{ID: "alice", Name: "Alice", Teams: []string{"red"}})

	// The socket handshake carries the token in its CONNECT payload.
	payload, _ := json.Marshal(map[string]string{"token": token})
	tok, src, err := auth.ExtractToken(auth.AllSources, auth.HandshakeInput{Auth: payload})
	if err != nil || src.Kind() != auth.KindJWT {
		panic(err)
	}
	claims, err := verifier.Verify(context.Background(), tok)
	fmt.Println(claims.Subject, claims.InTeam("red"), err)

	_, err = verifier.Verify(context.Background(), tok+"x")
	fmt.Println(errors.Is(err, auth.ErrInvalidToken))
	// Output:
	// alice true <nil>
	// true
}
