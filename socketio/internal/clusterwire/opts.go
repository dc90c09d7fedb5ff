package clusterwire

import "rtserver/socketio"

// Flags are the BroadcastFlags of socket.io-adapter that matter across nodes.
type Flags struct {
	Volatile bool    `json:"volatile,omitempty" msgpack:"volatile,omitempty"`
	Local    bool    `json:"local,omitempty" msgpack:"local,omitempty"`
	Timeout  float64 `json:"timeout,omitempty" msgpack:"timeout,omitempty"` // ms
	// Compress is false for io.compress(false), absent otherwise.
	Compress *bool `json:"compress,omitempty" msgpack:"compress,omitempty"`
}

// Opts are socket.io-adapter's BroadcastOptions as they travel.
type Opts struct {
	Rooms  []string `json:"rooms" msgpack:"rooms"`
	Except []string `json:"except" msgpack:"except"`
	Flags  Flags    `json:"flags" msgpack:"flags"`
}

// ToOpts converts o (nil rooms become empty arrays, as Node sends).
func ToOpts(o socketio.BroadcastOptions) Opts {
	w := Opts{Rooms: o.Rooms, Except: o.Except, Flags: Flags{Volatile: o.Volatile}}
	if o.Uncompressed {
		w.Flags.Compress = new(bool)
	}
	if w.Rooms == nil {
		w.Rooms = []string{}
	}
	if w.Except == nil {
		w.Except = []string{}
	}
	return w
}

// Options converts w back (nil: every socket).
func (w *Opts) Options() socketio.BroadcastOptions {
	if w == nil {
		return socketio.BroadcastOptions{}
	}
	return socketio.BroadcastOptions{Rooms: w.Rooms, Except: w.Except, Volatile: w.Flags.Volatile,
		Uncompressed: w.Flags.Compress != nil && !*w.Flags.Compress}
}
