package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"

	"github.com/golang-jwt/jwt/v5"
)

// MinSecretLen is the shortest HS256 secret accepted, in bytes.
const MinSecretLen = 32

// minRSABits is the smallest RSA modulus accepted for RS256.
const minRSABits = 2048

// ParsePublicKeyPEM parses the first PEM block of data as a public key
// usable by [Verifier]: an RSA key of at least 2048 bits (RS256), an ECDSA
// P-256 key (ES256) or an Ed25519 key (EdDSA). It accepts "PUBLIC KEY"
// (PKIX), "RSA PUBLIC KEY" (PKCS #1) and "CERTIFICATE" blocks. Private
// keys are refused: only the public half belongs on this server.
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	var (
		pub any
		err error
	)
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			pub = cert.PublicKey
		}
	default:
		return nil, fmt.Errorf("PEM block %q is not a public key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	if _, err := publicMethod(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// LoadPublicKeyFile reads and parses a PEM public key file; see
// [ParsePublicKeyPEM].
func LoadPublicKeyFile(path string) (crypto.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParsePublicKeyPEM(data)
}

// publicMethod returns the single signing method pinned to pub.
func publicMethod(pub crypto.PublicKey) (jwt.SigningMethod, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("RSA key of %d bits; want at least %d", k.N.BitLen(), minRSABits)
		}
		return jwt.SigningMethodRS256, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("ECDSA key is not on P-256 (ES256)")
		}
		return jwt.SigningMethodES256, nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, errors.New("bad Ed25519 key size")
		}
		return jwt.SigningMethodEdDSA, nil
	}
	return nil, fmt.Errorf("unsupported public key type %T (want RSA, ECDSA P-256 or Ed25519)", pub)
}

// Thumbprint returns the RFC 7638 JWK thumbprint of pub (SHA-256,
// base64url). [Verifier] accepts it as the kid of the configured public
// key unless another key id is configured.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	var members any
	switch k := pub.(type) {
	case *rsa.PublicKey:
		// Members in lexicographic order, as RFC 7638 requires; struct
		// field order fixes it.
		members = struct {
			E   string `json:"e"`
			Kty string `json:"kty"`
			N   string `json:"n"`
		}{b64(big.NewInt(int64(k.E)).Bytes()), "RSA", b64(k.N.Bytes())}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", errors.New("ECDSA key is not on P-256")
		}
		raw, err := k.Bytes() // 0x04 || X || Y, each 32 bytes
		if err != nil {
			return "", err
		}
		members = struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
			Y   string `json:"y"`
		}{"P-256", "EC", b64(raw[1:33]), b64(raw[33:65])}
	case ed25519.PublicKey:
		members = struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
		}{"Ed25519", "OKP", b64(k)}
	default:
		return "", fmt.Errorf("unsupported public key type %T", pub)
	}
	data, err := json.Marshal(members)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return b64(sum[:]), nil
}

// secretKeyID derives the kid of tokens signed with secret. It changes
// with the secret, so tokens of a rotated secret fail on the kid before
// the signature is even computed. It reveals nothing an HS256 signature
// does not: both are one-way functions of the secret.
func secretKeyID(secret []byte) string {
	h := sha256.New()
	h.Write([]byte("rtserver hs256 kid\x00"))
	h.Write(secret)
	return "hs-" + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}
