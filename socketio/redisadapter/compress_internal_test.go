package redisadapter

import (
	"encoding/json"
	"strings"
	"testing"

	"rtserver/socketio"
	"rtserver/socketio/internal/clusterwire"
)

// TestWireOptsCompress: io.compress(false) travels as Node's
// flags.compress = false, and only then; it reads back as Uncompressed.
func TestWireOptsCompress(t *testing.T) {
	for _, tc := range []struct {
		opts socketio.BroadcastOptions
		want string
	}{
		{socketio.BroadcastOptions{Rooms: []string{"r"}, Uncompressed: true}, `"flags":{"compress":false}`},
		{socketio.BroadcastOptions{Rooms: []string{"r"}}, `"flags":{}`},
	} {
		w := clusterwire.ToOpts(tc.opts)
		b, err := json.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), tc.want) {
			t.Errorf("%+v travels as %s, want %s", tc.opts, b, tc.want)
		}
		var back clusterwire.Opts
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if got := back.Options(); got.Uncompressed != tc.opts.Uncompressed {
			t.Errorf("%s reads back as %+v", b, got)
		}
	}
}
