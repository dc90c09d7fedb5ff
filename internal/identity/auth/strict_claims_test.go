package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"rtserver/internal/identity/auth"
)

// signRaw signs payload, a JSON text written out byte for byte (so that it
// can hold duplicate keys and keys in any case), with method and key.
func signRaw(t testing.TB, method jwt.SigningMethod, key any, header, payload string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	sig, err := method.Sign(signing, key)
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + enc.EncodeToString(sig)
}

// TestVerifyClaimsStrict: claim names are exact, a key given twice is
// refused, and dates are JSON numbers. encoding/json (which golang-jwt
// decodes with) matches names case-insensitively, lets the last duplicate
// win and reads "123" into a json.Number, so a token minted by a careless
// or hostile issuer could say "ROLES":["admin"] and be an admin.
func TestVerifyClaimsStrict(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub := edKey.Public()
	fx := newFixture(t, func(c *auth.VerifierConfig) { c.PublicKey = pub })
	iat, exp := t0.Unix(), t0.Unix()+600
	base := fmt.Sprintf(`"iss":"rtserver","aud":"rtclients","iat":%d,"exp":%d,"jti":"j1"`, iat, exp)

	keys := []struct {
		name   string
		method jwt.SigningMethod
		key    any
		header string
	}{
		{"HS256", jwt.SigningMethodHS256, secret, `{"alg":"HS256","typ":"JWT"}`},
		{"EdDSA", jwt.SigningMethodEdDSA, edKey, `{"alg":"EdDSA","typ":"JWT"}`},
	}
	refused := map[string]string{
		"roles in capitals":         `{"sub":"alice",` + base + `,"ROLES":["admin"]}`,
		"sub twice in two cases":    `{"sub":"alice","Sub":"admin",` + base + `}`,
		"sub twice":                 `{"sub":"alice","sub":"admin",` + base + `}`,
		"roles twice":               `{"sub":"alice",` + base + `,"roles":[],"roles":["admin"]}`,
		"exp as a string":           fmt.Sprintf(`{"sub":"alice","iss":"rtserver","aud":"rtclients","iat":%d,"exp":"%d"}`, iat, exp),
		"iat as a string":           fmt.Sprintf(`{"sub":"alice","iss":"rtserver","aud":"rtclients","iat":"%d","exp":%d}`, iat, exp),
		"nbf as a string":           fmt.Sprintf(`{"sub":"alice",`+base+`,"nbf":"%d"}`, iat),
		"Exp in another case only":  fmt.Sprintf(`{"sub":"alice","iss":"rtserver","aud":"rtclients","iat":%d,"Exp":%d}`, iat, exp),
		"teams as a string":         `{"sub":"alice",` + base + `,"teams":"red"}`,
		"sub not a string":          `{"sub":1,` + base + `}`,
		"aud list with a number":    fmt.Sprintf(`{"sub":"alice","iss":"rtserver","aud":["rtclients",1],"iat":%d,"exp":%d}`, iat, exp),
		"trailing data":             `{"sub":"alice",` + base + `} {}`,
		"not an object":             `["sub","alice"]`,
		"duplicate after an object": `{"sub":"alice","x":{"sub":"y"},` + base + `,"x":1}`,
	}
	for _, k := range keys {
		for name, payload := range refused {
			t.Run(k.name+"/"+name, func(t *testing.T) {
				tok := signRaw(t, k.method, k.key, k.header, payload)
				c, err := fx.verifier.Verify(context.Background(), tok)
				if !errors.Is(err, auth.ErrInvalidToken) {
					t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", c, err)
				}
			})
		}
		t.Run(k.name+"/exact names accepted", func(t *testing.T) {
			payload := `{"sub":"alice",` + base + `,"name":"Alice","teams":["red"],"roles":[],"sid":"s1","nbf":` + fmt.Sprint(iat) + `,"x":{"sub":"nested keys are not claims"}}`
			c, err := fx.verifier.Verify(context.Background(), signRaw(t, k.method, k.key, k.header, payload))
			if err != nil {
				t.Fatal(err)
			}
			if c.Subject != "alice" || c.Name != "Alice" || !c.InTeam("red") || len(c.Roles) != 0 || c.SessionID != "s1" ||
				c.ExpiresAt.Unix() != exp || c.NotBefore.Unix() != iat || c.Audience[0] != "rtclients" {
				t.Fatalf("claims %+v", c)
			}
			if c.External != (k.name != "HS256") {
				t.Fatalf("External = %v for %s", c.External, k.name)
			}
		})
	}
}
