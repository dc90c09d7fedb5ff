package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"
)

// jwtHeader is the base64url of {"alg":"HS256","typ":"JWT"}, the same for every token.
var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// mintToken returns an HS256 JWT for load client i, signed with secret, as another service
// sharing the product's JWT_SECRET would mint it: no sid claim, so the product verifies the
// signature and looks up the jti's revocation but does not need the user in its store
// (internal/identity Service.VerifyToken). Every client is its own user (sub load-u<i>), so
// MAX_SOCKETS_PER_USER does not bite. The payload is compact JSON with integer dates, the
// form the product's verifier reads on its fast path, as it does its own tokens.
func mintToken(secret []byte, i int, jti string, now time.Time, ttl time.Duration) string {
	n := strconv.Itoa(i)
	b := make([]byte, 0, 160)
	b = append(b, `{"sub":"load-u`...)
	b = append(b, n...)
	b = append(b, `","name":"U`...)
	b = append(b, n...)
	b = append(b, `","roles":["user"],"iat":`...)
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, now.Add(ttl).Unix(), 10)
	b = append(b, `,"jti":`...)
	b = strconv.AppendQuote(b, jti)
	b = append(b, '}')
	signing := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(b)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// newSecret returns 48 random base64url characters (36 random bytes): the JWT_SECRET the
// product servers are started with in this run.
func newSecret() (string, error) {
	var b [36]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
