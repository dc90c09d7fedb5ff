package auth

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MaxTokenLen bounds a token in bytes. Longer tokens, and tokens with
// other than exactly two dots, are refused before any decoding
// (CVE-2025-30204 pattern).
const MaxTokenLen = 8 << 10

// DefaultSkew is the clock skew allowed for iat and nbf.
const DefaultSkew = 30 * time.Second

// Revocations reports whether a token id (jti) was revoked. internal/store
// implements it.
type Revocations interface {
	IsRevoked(ctx context.Context, jti string) (bool, error)
}

// VerifierConfig configures [NewVerifier].
type VerifierConfig struct {
	// Secret is the HS256 secret, at least MinSecretLen bytes. Required.
	Secret []byte
	// PublicKey, when not nil, also accepts tokens signed with it, using
	// only the one algorithm that fits the key: RS256 for RSA (≥ 2048
	// bits), ES256 for ECDSA P-256, EdDSA for Ed25519.
	PublicKey crypto.PublicKey
	// PublicKeyID is the kid accepted with PublicKey. Default: the key's
	// RFC 7638 thumbprint. Tokens without a kid are accepted either way.
	PublicKeyID string
	// Issuer and Audience, when not empty, must match iss and be among aud.
	Issuer   string
	Audience string
	// Revocations, when not nil, is asked about every token's jti.
	Revocations Revocations
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Skew is how far iat and nbf may lie in the future. Zero means
	// DefaultSkew (30 s). exp gets no leeway: a token is expired from
	// its exp on.
	Skew time.Duration
}

// Verifier checks tokens. It is immutable and safe for concurrent use.
type Verifier struct {
	secret      []byte
	hsKid       string
	pub         crypto.PublicKey
	pubMethod   jwt.SigningMethod
	pubKid      string
	revocations Revocations
	now         func() time.Time
	parser      *jwt.Parser
	validator   *jwt.Validator
}

// NewVerifier returns a Verifier for cfg; it refuses a short secret or an
// unsupported public key.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if len(cfg.Secret) < MinSecretLen {
		return nil, fmt.Errorf("auth: secret of %d bytes; want at least %d", len(cfg.Secret), MinSecretLen)
	}
	v := &Verifier{
		secret:      slices.Clone(cfg.Secret),
		hsKid:       secretKeyID(cfg.Secret),
		revocations: cfg.Revocations,
		now:         cfg.Now,
	}
	if v.now == nil {
		v.now = time.Now
	}
	methods := []string{jwt.SigningMethodHS256.Alg()}
	if cfg.PublicKey != nil {
		m, err := publicMethod(cfg.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("auth: public key: %w", err)
		}
		v.pub, v.pubMethod, v.pubKid = cfg.PublicKey, m, cfg.PublicKeyID
		if v.pubKid == "" {
			if v.pubKid, err = Thumbprint(cfg.PublicKey); err != nil {
				return nil, fmt.Errorf("auth: public key: %w", err)
			}
		}
		methods = append(methods, m.Alg())
	}
	skew := cfg.Skew
	if skew <= 0 {
		skew = DefaultSkew
	}
	// The parser only checks structure, algorithm, kid and signature; the
	// claims are validated afterwards, so that the error for an expired
	// token can only arise once the signature is known to be good
	// (CVE-2024-51744 pattern).
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(methods),
		jwt.WithoutClaimsValidation(),
		jwt.WithStrictDecoding(),
	)
	opts := []jwt.ParserOption{
		jwt.WithTimeFunc(v.now),
		jwt.WithLeeway(skew),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	v.validator = jwt.NewValidator(opts...)
	return v, nil
}

// invalid wraps ErrInvalidToken with a static reason for the log.
// compactJWS reports whether token has only base64url characters and dots.
func compactJWS(token string) bool {
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func invalid(reason string) error { return fmt.Errorf("%w: %s", ErrInvalidToken, reason) }

// Verify checks token and returns its claims. In order:
//
//  1. empty → ErrMissingToken; over MaxTokenLen bytes, not exactly two
//     dots, or any byte outside base64url and the dots → ErrInvalidToken,
//     before any decoding (Go's base64 decoder skips CR and LF, so without
//     this check a signature with a newline inside would verify: one token
//     would have many spellings);
//  2. header, algorithm (HS256 with the secret, or the one algorithm of
//     the public key), kid (absent or ours) and signature → ErrInvalidToken;
//  3. claims, decoded strictly (exact names, no key twice, numeric dates:
//     see wireClaims.UnmarshalJSON): exp required, iat/nbf not beyond the
//     skew in the future, iss/aud when configured, sub present →
//     ErrInvalidToken;
//  4. exp reached → ErrTokenExpired;
//  5. jti revoked → ErrRevoked; a failing revocation store → its error.
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	c, err := v.VerifySigned(ctx, token)
	if err != nil {
		return Claims{}, err
	}
	if err := v.Revoked(ctx, c); err != nil {
		return Claims{}, err
	}
	return c, nil
}

// VerifySigned is Verify without its step 5, the jti revocation lookup:
// for a caller that knows the token's revocation another way (identity's
// Service, for its own tokens bound to a session, whose revocation always
// comes with the jti's) and calls Revoked for the other tokens.
func (v *Verifier) VerifySigned(_ context.Context, token string) (Claims, error) {
	switch {
	case token == "":
		return Claims{}, ErrMissingToken
	case len(token) > MaxTokenLen:
		return Claims{}, invalid("token too long")
	case strings.Count(token, ".") != 2:
		return Claims{}, invalid("not three segments")
	case !compactJWS(token):
		return Claims{}, invalid("not base64url")
	}
	var w wireClaims
	parsed, err := v.parser.ParseWithClaims(token, &w, v.key)
	if err != nil {
		switch {
		case errors.Is(err, jwt.ErrTokenMalformed):
			return Claims{}, invalid("malformed")
		case errors.Is(err, jwt.ErrTokenUnverifiable):
			return Claims{}, invalid("algorithm or key id not accepted")
		default:
			return Claims{}, invalid("bad signature")
		}
	}
	// The signature is good from here on.
	if err := v.validator.Validate(&w); err != nil {
		if onlyExpired(err) {
			return Claims{}, ErrTokenExpired
		}
		return Claims{}, invalid("claims not valid")
	}
	if w.Subject == "" {
		return Claims{}, invalid("no sub")
	}
	c := w.claims()
	c.External = parsed.Method != jwt.SigningMethodHS256
	if !v.now().Before(c.ExpiresAt) {
		return Claims{}, ErrTokenExpired
	}
	return c, nil
}

// Revoked is step 5 of Verify: ErrRevoked when c's jti was revoked, the
// store's error (wrapped) when it fails, nil otherwise (also without
// Revocations or without a jti).
func (v *Verifier) Revoked(ctx context.Context, c Claims) error {
	if v.revocations == nil || c.ID == "" {
		return nil
	}
	revoked, err := v.revocations.IsRevoked(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("auth: revocation check: %w", err)
	}
	if revoked {
		return ErrRevoked
	}
	return nil
}

// key is the jwt.Keyfunc: it pins each key to its one algorithm and
// refuses unknown key ids and critical header parameters.
func (v *Verifier) key(t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		return nil, errors.New("crit header not supported")
	}
	kid, hasKid := t.Header["kid"]
	kidStr, ok := kid.(string)
	if hasKid && !ok {
		return nil, errors.New("kid is not a string")
	}
	switch {
	case t.Method == jwt.SigningMethodHS256:
		if hasKid && kidStr != v.hsKid {
			return nil, errors.New("unknown kid")
		}
		return v.secret, nil
	case v.pub != nil && t.Method == v.pubMethod:
		if hasKid && kidStr != v.pubKid {
			return nil, errors.New("unknown kid")
		}
		return v.pub, nil
	}
	return nil, errors.New("algorithm not accepted")
}

// onlyExpired reports whether every claim error in err is ErrTokenExpired.
func onlyExpired(err error) bool {
	if !errors.Is(err, jwt.ErrTokenExpired) {
		return false
	}
	leaves := 0
	var walk func(error) bool
	walk = func(e error) bool {
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				if !walk(x) {
					return false
				}
			}
			return true
		}
		leaves++
		return errors.Is(e, jwt.ErrTokenExpired)
	}
	return walk(err) && leaves > 0
}
