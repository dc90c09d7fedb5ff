package auth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"rtserver/internal/identity/auth"
)

var (
	t0     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	secret = []byte("0123456789abcdef0123456789abcdef-test-secret")
)

// rsaKey is generated once: 2048-bit generation is slow under -race.
var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func pemPublic(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// memRevocations is an in-memory auth.Revocations.
type memRevocations struct {
	jtis map[string]bool
	err  error
}

func (m memRevocations) IsRevoked(_ context.Context, jti string) (bool, error) {
	return m.jtis[jti], m.err
}

type fixture struct {
	issuer   *auth.Issuer
	verifier *auth.Verifier
	now      time.Time
}

func newFixture(t testing.TB, mutate func(*auth.VerifierConfig)) fixture {
	t.Helper()
	now := func() time.Time { return t0 }
	iss, err := auth.NewIssuer(secret, 15*time.Minute, "rtserver", "rtclients", now)
	if err != nil {
		t.Fatal(err)
	}
	cfg := auth.VerifierConfig{Secret: secret, Issuer: "rtserver", Audience: "rtclients", Now: now}
	if mutate != nil {
		mutate(&cfg)
	}
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{issuer: iss, verifier: v, now: t0}
}

// sign signs claims with method and key, setting header fields.
func sign(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
			continue
		}
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// good returns claims valid at t0 for the fixture's iss and aud.
func good() jwt.MapClaims {
	return jwt.MapClaims{
		"sub": "alice", "name": "Alice", "teams": []string{"red"}, "roles": []string{},
		"iat": t0.Unix(), "exp": t0.Add(10 * time.Minute).Unix(), "jti": "j1",
		"iss": "rtserver", "aud": "rtclients",
	}
}

func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// tamper flips the last character of the signature segment.
func tamper(tok string) string {
	last := tok[len(tok)-2]
	repl := byte('A')
	if last == 'A' {
		repl = 'B'
	}
	return tok[:len(tok)-2] + string(repl) + tok[len(tok)-1:]
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tok, claims, err := f.issuer.Issue(auth.User{ID: "alice", Name: "Alice", Teams: []string{"red"}, Roles: []string{"admin"}, SessionID: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	if claims.ID == "" || !claims.IssuedAt.Equal(t0) || !claims.ExpiresAt.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("issued claims: %+v", claims)
	}
	got, err := f.verifier.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "alice" || got.Name != "Alice" || !got.InTeam("red") || got.InTeam("blue") ||
		!got.HasRole("admin") || got.HasRole("root") || got.SessionID != "s1" || got.ID != claims.ID ||
		got.Issuer != "rtserver" || len(got.Audience) != 1 || got.Audience[0] != "rtclients" {
		t.Fatalf("verified claims: %+v", got)
	}
	// Two tokens never share a jti.
	_, c2, _ := f.issuer.Issue(auth.User{ID: "alice"})
	if c2.ID == claims.ID {
		t.Fatal("jti reused")
	}
}

func TestNewIssuerRefuses(t *testing.T) {
	t.Parallel()
	if _, err := auth.NewIssuer(secret[:31], time.Minute, "", "", nil); err == nil {
		t.Error("31-byte secret accepted")
	}
	if _, err := auth.NewIssuer(secret, 0, "", "", nil); err == nil {
		t.Error("zero TTL accepted")
	}
	iss, _ := auth.NewIssuer(secret, time.Minute, "", "", nil)
	if _, _, err := iss.Issue(auth.User{}); err == nil {
		t.Error("empty user id accepted")
	}
}

func TestNewVerifierRefuses(t *testing.T) {
	t.Parallel()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for name, cfg := range map[string]auth.VerifierConfig{
		"short secret": {Secret: secret[:10]},
		"rsa 1024":     {Secret: secret, PublicKey: &small.PublicKey},
		"p-384":        {Secret: secret, PublicKey: &p384.PublicKey},
		"private key":  {Secret: secret, PublicKey: rsaKey()},
		"bytes":        {Secret: secret, PublicKey: []byte("key")},
	} {
		if _, err := auth.NewVerifier(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestVerifyRefusals(t *testing.T) {
	t.Parallel()
	rk := rsaKey()
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	f := newFixture(t, func(c *auth.VerifierConfig) {
		c.PublicKey = &rk.PublicKey
		c.Revocations = memRevocations{jtis: map[string]bool{"gone": true}}
	})
	own, _, err := f.issuer.Issue(auth.User{ID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	hs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodHS256, secret, c, nil) }
	rs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, rk, c, nil) }
	expired := with(good(), "exp", t0.Add(-time.Minute).Unix(), "iat", t0.Add(-20*time.Minute).Unix())
	none := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good(), nil)
	// Another server's token, same issuer name, other secret: its kid is unknown.
	otherIssuer, _ := auth.NewIssuer([]byte(strings.Repeat("z", 32)), time.Minute, "rtserver", "rtclients", func() time.Time { return t0 })
	foreign, _, _ := otherIssuer.Issue(auth.User{ID: "alice"})
	big := hs(with(good(), "name", strings.Repeat("x", auth.MaxTokenLen)))

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", auth.ErrMissingToken},
		// Found by FuzzVerify: base64 decoding skips CR and LF, so these
		// verified as the same token before the alphabet check.
		{"newline in the signature", own[:len(own)-10] + "\n" + own[len(own)-10:], auth.ErrInvalidToken},
		{"CR in the signature", own[:len(own)-5] + "\r" + own[len(own)-5:], auth.ErrInvalidToken},
		{"padding", own + "==", auth.ErrInvalidToken},
		{"alg none", none, auth.ErrInvalidToken},
		{"alg none no signature", strings.TrimSuffix(none, "."), auth.ErrInvalidToken},
		{"alg NONE spelled", replaceHeader(t, hs(good()), `{"alg":"None","typ":"JWT"}`), auth.ErrInvalidToken},
		{"HS512 with the secret", sign(t, jwt.SigningMethodHS512, secret, good(), nil), auth.ErrInvalidToken},
		{"HS384 with the secret", sign(t, jwt.SigningMethodHS384, secret, good(), nil), auth.ErrInvalidToken},
		{"ES256 when the key is RSA", sign(t, jwt.SigningMethodES256, ecKey, good(), nil), auth.ErrInvalidToken},
		{"PS256 with the RSA key", sign(t, jwt.SigningMethodPS256, rk, good(), nil), auth.ErrInvalidToken},
		{"RS512 with the RSA key", sign(t, jwt.SigningMethodRS512, rk, good(), nil), auth.ErrInvalidToken},
		{"HS256 signed with the RSA public key PEM", sign(t, jwt.SigningMethodHS256, pemPublic(t, &rk.PublicKey), good(), nil), auth.ErrInvalidToken},
		{"HS256 signed with the RSA public key DER", sign(t, jwt.SigningMethodHS256, x509.MarshalPKCS1PublicKey(&rk.PublicKey), good(), nil), auth.ErrInvalidToken},
		{"tampered signature", tamper(own), auth.ErrInvalidToken},
		{"tampered payload", replacePayload(t, own, `{"sub":"admin","roles":["admin"],"exp":9999999999}`), auth.ErrInvalidToken},
		{"signature stripped", own[:strings.LastIndexByte(own, '.')+1], auth.ErrInvalidToken},
		{"expired", hs(expired), auth.ErrTokenExpired},
		{"expired RS256", rs(expired), auth.ErrTokenExpired},
		{"expired at exactly now", hs(with(good(), "exp", t0.Unix())), auth.ErrTokenExpired},
		{"expired 10s ago: no leeway on exp", hs(with(good(), "exp", t0.Add(-10*time.Second).Unix())), auth.ErrTokenExpired},
		{"expired and bad signature", tamper(hs(expired)), auth.ErrInvalidToken},
		{"expired and signed with another secret", sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("q", 32)), expired, nil), auth.ErrInvalidToken},
		{"expired alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, expired, nil), auth.ErrInvalidToken},
		{"expired and wrong iss", hs(with(expired, "iss", "evil")), auth.ErrInvalidToken},
		{"nbf 31s ahead", hs(with(good(), "nbf", t0.Add(31*time.Second).Unix())), auth.ErrInvalidToken},
		{"iat 1h ahead", hs(with(good(), "iat", t0.Add(time.Hour).Unix())), auth.ErrInvalidToken},
		{"iat 31s ahead", hs(with(good(), "iat", t0.Add(31*time.Second).Unix())), auth.ErrInvalidToken},
		{"missing exp", hs(with(good(), "exp", nil)), auth.ErrInvalidToken},
		{"exp as string", hs(with(good(), "exp", "tomorrow")), auth.ErrInvalidToken},
		{"missing sub", hs(with(good(), "sub", nil)), auth.ErrInvalidToken},
		{"teams not a list", hs(with(good(), "teams", "red")), auth.ErrInvalidToken},
		{"wrong iss", hs(with(good(), "iss", "evil")), auth.ErrInvalidToken},
		{"missing iss", hs(with(good(), "iss", nil)), auth.ErrInvalidToken},
		{"wrong aud", hs(with(good(), "aud", "other")), auth.ErrInvalidToken},
		{"wrong aud list", hs(with(good(), "aud", []string{"a", "b"})), auth.ErrInvalidToken},
		{"missing aud", hs(with(good(), "aud", nil)), auth.ErrInvalidToken},
		{"external wrong iss", rs(with(good(), "iss", "evil")), auth.ErrInvalidToken},
		{"unknown kid HS256", sign(t, jwt.SigningMethodHS256, secret, good(), map[string]any{"kid": "other"}), auth.ErrInvalidToken},
		{"unknown kid RS256", sign(t, jwt.SigningMethodRS256, rk, good(), map[string]any{"kid": "../../etc/passwd"}), auth.ErrInvalidToken},
		{"kid not a string", sign(t, jwt.SigningMethodHS256, secret, good(), map[string]any{"kid": 7}), auth.ErrInvalidToken},
		{"token of another secret", foreign, auth.ErrInvalidToken},
		{"crit header", sign(t, jwt.SigningMethodHS256, secret, good(), map[string]any{"crit": []string{"exp"}}), auth.ErrInvalidToken},
		{"oversized but well signed", big, auth.ErrInvalidToken},
		{"100k dots", strings.Repeat(".", 100_000), auth.ErrInvalidToken},
		{"three dots", own + ".x", auth.ErrInvalidToken},
		{"one dot", "a.b", auth.ErrInvalidToken},
		{"no dots", "garbage", auth.ErrInvalidToken},
		{"padding in base64", padSegments(own), auth.ErrInvalidToken},
		{"revoked", hs(with(good(), "jti", "gone")), auth.ErrRevoked},
		{"revoked external", rs(with(good(), "jti", "gone")), auth.ErrRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := f.verifier.Verify(context.Background(), tt.token)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %+v, %v; want %v", c, err, tt.want)
			}
			for _, other := range []error{auth.ErrMissingToken, auth.ErrInvalidToken, auth.ErrTokenExpired, auth.ErrRevoked} {
				if other != tt.want && errors.Is(err, other) {
					t.Fatalf("error %v is also %v", err, other)
				}
			}
			if c.Subject != "" {
				t.Fatalf("claims returned with an error: %+v", c)
			}
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	t.Parallel()
	rk := rsaKey()
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	kid := func(pub crypto.PublicKey) string {
		s, err := auth.Thumbprint(pub)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name  string
		pub   crypto.PublicKey
		keyID string
		token string
	}{
		{"HS256 own, no kid", &rk.PublicKey, "", sign(t, jwt.SigningMethodHS256, secret, good(), nil)},
		{"RS256 external, no kid", &rk.PublicKey, "", sign(t, jwt.SigningMethodRS256, rk, good(), nil)},
		{"RS256 external, thumbprint kid", &rk.PublicKey, "", sign(t, jwt.SigningMethodRS256, rk, good(), map[string]any{"kid": kid(&rk.PublicKey)})},
		{"RS256 external, configured kid", &rk.PublicKey, "svc-1", sign(t, jwt.SigningMethodRS256, rk, good(), map[string]any{"kid": "svc-1"})},
		{"RS256 external, aud list", &rk.PublicKey, "", sign(t, jwt.SigningMethodRS256, rk, with(good(), "aud", []string{"x", "rtclients"}, "jti", nil), nil)},
		{"ES256 external", &ecKey.PublicKey, "", sign(t, jwt.SigningMethodES256, ecKey, good(), map[string]any{"kid": kid(&ecKey.PublicKey)})},
		{"EdDSA external", edPub, "", sign(t, jwt.SigningMethodEdDSA, edPriv, good(), map[string]any{"kid": kid(edPub)})},
		{"nbf and iat 29s ahead", nil, "", sign(t, jwt.SigningMethodHS256, secret, with(good(), "nbf", t0.Add(29*time.Second).Unix(), "iat", t0.Add(29*time.Second).Unix()), nil)},
		{"exp 1s ahead", nil, "", sign(t, jwt.SigningMethodHS256, secret, with(good(), "exp", t0.Add(time.Second).Unix()), nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(c *auth.VerifierConfig) { c.PublicKey = tt.pub; c.PublicKeyID = tt.keyID })
			c, err := f.verifier.Verify(context.Background(), tt.token)
			if err != nil {
				t.Fatal(err)
			}
			if c.Subject != "alice" || !c.InTeam("red") || !c.ExpiresAt.After(t0) {
				t.Fatalf("claims %+v", c)
			}
		})
	}
	// Without a configured public key, external tokens fail.
	f := newFixture(t, nil)
	if _, err := f.verifier.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, rk, good(), nil)); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("RS256 without a public key: %v", err)
	}
	// Without configured iss/aud, neither is required.
	f = newFixture(t, func(c *auth.VerifierConfig) { c.Issuer, c.Audience = "", "" })
	if _, err := f.verifier.Verify(context.Background(), sign(t, jwt.SigningMethodHS256, secret, with(good(), "iss", nil, "aud", nil), nil)); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRevocationStoreError(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	f := newFixture(t, func(c *auth.VerifierConfig) { c.Revocations = memRevocations{err: boom} })
	tok, _, _ := f.issuer.Issue(auth.User{ID: "alice"})
	_, err := f.verifier.Verify(context.Background(), tok)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	for _, s := range []error{auth.ErrMissingToken, auth.ErrInvalidToken, auth.ErrTokenExpired, auth.ErrRevoked} {
		if errors.Is(err, s) {
			t.Fatalf("store failure reported as %v", s)
		}
	}
}

func TestVerifyClockMovesOn(t *testing.T) {
	t.Parallel()
	now := t0
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	iss, _ := auth.NewIssuer(secret, time.Minute, "", "", clock)
	v, _ := auth.NewVerifier(auth.VerifierConfig{Secret: secret, Now: clock})
	tok, _, _ := iss.Issue(auth.User{ID: "bob"})
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, auth.ErrTokenExpired) {
		t.Fatalf("after TTL: %v", err)
	}
}

func TestParsePublicKeyPEM(t *testing.T) {
	t.Parallel()
	rk := rsaKey()
	if _, err := auth.ParsePublicKeyPEM(pemPublic(t, &rk.PublicKey)); err != nil {
		t.Fatal(err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rk.PublicKey)})
	if _, err := auth.ParsePublicKeyPEM(pkcs1); err != nil {
		t.Fatal(err)
	}
	priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)})
	for name, data := range map[string][]byte{"private": priv, "empty": nil, "garbage": []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")} {
		if _, err := auth.ParsePublicKeyPEM(data); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// TestThumbprintRFC7638 checks the RFC 7638 §3.1 example.
func TestThumbprintRFC7638(t *testing.T) {
	t.Parallel()
	n := "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
	nb, _ := base64.RawURLEncoding.DecodeString(n)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: 65537}
	got, err := auth.Thumbprint(pub)
	if err != nil {
		t.Fatal(err)
	}
	if want := "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Fatalf("thumbprint %s; want %s", got, want)
	}
}

func replaceHeader(t testing.TB, tok, header string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	parts[0] = base64.RawURLEncoding.EncodeToString([]byte(header))
	return strings.Join(parts, ".")
}

func replacePayload(t testing.TB, tok, payload string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(payload))
	return strings.Join(parts, ".")
}

// padSegments re-encodes the header with padding, which strict decoding refuses.
func padSegments(tok string) string {
	parts := strings.Split(tok, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	for len(raw)%3 == 0 {
		raw = append(raw, ' ')
	}
	parts[0] = base64.URLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}
