package msgpackjson

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// sameAsEncode checks that AppendMsgpack writes exactly what encodeTree, the
// straightforward version through encoding/json and the msgpack library, writes.
func sameAsEncode(t *testing.T, js string, atts [][]byte) {
	t.Helper()
	var want bytes.Buffer
	werr := encodeTree(msgpack.NewEncoder(&want), []byte(js), atts)
	got, gerr := AppendMsgpack(nil, []byte(js), atts)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%s: Encode err %v, AppendMsgpack err %v", js, werr, gerr)
	}
	if werr == nil && !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("%s:\n got  %s\n want %s", js, hex.EncodeToString(got), hex.EncodeToString(want.Bytes()))
	}
}

func TestAppendMsgpackMatchesEncode(t *testing.T) {
	long := `"` + string(bytes.Repeat([]byte("x"), 300)) + `"`
	many := "[" + string(bytes.Repeat([]byte("1,"), 40)) + "1]"
	for _, js := range []string{
		`[1,2.5,-1,1099511627776,1.0]`, `["a",null,true,false]`, `{"b":1,"a":2}`, `{}`, `[]`, `[[],{}]`,
		`["x",{"_placeholder":true,"num":0}]`, `{"_placeholder":true,"num":3}`, `{"num":0,"_placeholder":true}`,
		`[-32,-33,-128,-129,-32768,-32769,-2147483648,-2147483649,127,128,255,256,65535,65536,4294967295,4294967296]`,
		`[9007199254740991,9007199254740992,-9007199254740993,1e400,-0.0,0.1,1E2]`,
		`["\"<\n\u00e9\ud83d\ude00",` + long + `]`, many, `{"k":` + many + `,"l":{"m":[{"n":null}]}}`,
		`[ 1 , { "a" : [ true ] } ]`,
		`["chat:message",{"id":"01HZX3K5V7N8","room":"team-42","from":{"id":1234,"name":"alice"},"text":"Hello","sentAt":1733150000123}]`,
	} {
		sameAsEncode(t, js, [][]byte{{1, 2}})
	}
	sameAsEncode(t, `["b",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, [][]byte{make([]byte, 300), make([]byte, 70000)})
	for _, bad := range []string{``, `[`, `[1,`, `{"a"}`, `"open`, `nul`, `[1]x`} {
		if _, err := AppendMsgpack(nil, []byte(bad), nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
