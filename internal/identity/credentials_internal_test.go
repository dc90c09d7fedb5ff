package identity

import "testing"

// FuzzPlainTokenPayload: where the fast reading of {"token":"..."} takes a
// payload, the JSON decoder reads the same token from it.
func FuzzPlainTokenPayload(f *testing.F) {
	for _, s := range []string{`{"token":"abc"}`, `{"token":"a.b-c_D"}`, `{"token":""}`, `{"token":"a\"}`,
		`{"token":"a","token":"b"}`, `{"token":"a\u0041"}`, ` {"token":"a"}`, `{"token":"a"} `, `{"token":"a"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fast, ok := plainTokenPayload(raw)
		if !ok {
			return
		}
		tok, present, valid := authPayloadTokenJSON(raw)
		if tok != fast || !present || !valid {
			t.Fatalf("fast %q, JSON %q present=%v ok=%v", fast, tok, present, valid)
		}
	})
}
