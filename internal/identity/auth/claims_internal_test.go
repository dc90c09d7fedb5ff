package auth

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzPlainClaims: where plainClaims takes a payload, strictClaims accepts
// it with the same claims.
func FuzzPlainClaims(f *testing.F) {
	for _, s := range []string{
		`{"sub":"u1","name":"Ann","teams":["red"],"roles":[],"sid":"s","jti":"j","iss":"i","aud":"a","iat":1700000000,"exp":1700000900}`,
		`{"sub":"u1","aud":["a","b"],"nbf":-5,"x":true,"y":null,"z":"q","w":12}`,
		`{"sub":"u1","sub":"admin"}`, `{"sub":"u1","Sub":"admin"}`, `{"x":1,"x":2}`, `{"sub":"Zoë","name":"\u0041"}`,
		`{"exp":"1700000000"}`, `{"exp":1.5}`, `{"exp":1e3}`, `{"exp":0123}`, `{"exp":1000000000000}`, `{}`, `{} `, `{"a":{}}`,
		`{"teams":["a",1]}`, `{"teams":null}`, "{\"sub\":\"a\xffb\"}", `{"sub":"a"}x`, `{"sub":"a",}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast, strict wireClaims
		if !fast.plainClaims(b) {
			return
		}
		if err := strict.strictClaims(b); err != nil {
			t.Fatalf("plainClaims took %q, strictClaims refused it: %v", b, err)
		}
		if !reflect.DeepEqual(fast, strict) {
			t.Fatalf("%q:\nplain  %+v\nstrict %+v", b, fast, strict)
		}
	})
}

// TestPlainClaimsTakesIssuedTokens: the payloads the Issuer writes take
// the fast path.
func TestPlainClaimsTakesIssuedTokens(t *testing.T) {
	iss, err := NewIssuer([]byte("claims-test-secret-0123456789abcdef"), time.Minute, "rt", "rt-aud", nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := iss.Issue(User{ID: "u1", Name: "Zoë", Teams: []string{"red"}, Roles: []string{"admin"}, SessionID: "s"})
	if err != nil {
		t.Fatal(err)
	}
	issued, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, payload := range []string{
		string(issued),
		`{"sub":"u1","name":"User 1","teams":["red"],"sid":"abc-_1","jti":"xyz","iat":1700000000,"exp":1700000900}`,
		`{"iss":"rt","sub":"u1","aud":["rt"],"exp":1700000900,"iat":1700000000,"jti":"j","name":"Zoë","roles":["admin"]}`,
	} {
		var w wireClaims
		if !w.plainClaims([]byte(payload)) {
			t.Errorf("plainClaims refused %s", payload)
		}
	}
}
