package admin

import (
	"bytes"
	"encoding/json"

	"rtserver/socketio"
)

// The UI's commands (ClientEvents in its typings):
//
//	emit(nsp, filter, event, ...args)  filter: a room or socket id; null: all
//	join(nsp, room, filter?)           filter absent or null: every socket
//	leave(nsp, room, filter?)
//	_disconnect(nsp, close, filter?)
//
// They act through the namespace's operators, so with a cluster adapter they
// reach every node. A command naming a namespace that does not exist here, or
// with arguments of the wrong type, is dropped (and answered with an error when
// the UI asked for an acknowledgement): it never creates a namespace or touches
// another one.

// errBadCommand is the acknowledgement of a dropped command.
var errBadCommand = map[string]any{"error": map[string]string{"code": "bad_request", "message": "invalid command"}}

func (a *Admin) reject(cmd string, ack socketio.Ack) {
	a.log.Debug("admin: invalid command dropped", "cmd", cmd)
	if ack != nil {
		_ = ack(errBadCommand)
	}
}

func (a *Admin) answer(ack socketio.Ack, err error) {
	if ack == nil {
		return
	}
	if err != nil {
		_ = ack(errBadCommand)
		return
	}
	_ = ack(map[string]bool{"ok": true})
}

// filterArg reads the optional filter at i: ("", true) for absent or null, the
// string otherwise, false for any other type.
func filterArg(args socketio.Args, i int) (string, bool) {
	if i >= args.Len() || bytes.Equal(args.Raw(i), []byte("null")) {
		return "", true
	}
	f, ok := args.String(i)
	if !ok || f == "" {
		return "", false
	}
	return f, true
}

func (a *Admin) target(args socketio.Args) *socketio.Namespace {
	name, ok := args.String(0)
	if !ok {
		return nil
	}
	return a.namespace(name)
}

func (a *Admin) cmdEmit(_ *socketio.Socket, args socketio.Args, ack socketio.Ack) {
	n := a.target(args)
	filter, okf := filterArg(args, 1)
	event, oke := args.String(2)
	if n == nil || !okf || !oke || event == "" {
		a.reject("emit", ack)
		return
	}
	rest := make([]any, 0, args.Len()-3)
	for i := 3; i < args.Len(); i++ {
		if b, ok := args.Binary(i); ok {
			rest = append(rest, b)
			continue
		}
		rest = append(rest, json.RawMessage(args.Raw(i)))
	}
	var err error
	if filter == "" {
		err = n.Emit(event, rest...)
	} else {
		err = n.To(filter).Emit(event, rest...)
	}
	a.answer(ack, err)
}

func (a *Admin) cmdRooms(join bool) socketio.EventHandler {
	cmd := "leave"
	if join {
		cmd = "join"
	}
	return func(_ *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		n := a.target(args)
		room, okr := args.String(1)
		filter, okf := filterArg(args, 2)
		if n == nil || !okr || room == "" || !okf {
			a.reject(cmd, ack)
			return
		}
		op := n.In()
		if filter != "" {
			op = n.In(filter)
		}
		var err error
		if join {
			err = op.SocketsJoin(room)
		} else {
			err = op.SocketsLeave(room)
		}
		a.answer(ack, err)
	}
}

func (a *Admin) cmdDisconnect(_ *socketio.Socket, args socketio.Args, ack socketio.Ack) {
	n := a.target(args)
	var close bool
	if args.Len() > 1 && !bytes.Equal(args.Raw(1), []byte("null")) {
		if args.Decode(1, &close) != nil {
			a.reject("_disconnect", ack)
			return
		}
	}
	filter, okf := filterArg(args, 2)
	if n == nil || !okf {
		a.reject("_disconnect", ack)
		return
	}
	op := n.In()
	if filter != "" {
		op = n.In(filter)
	}
	a.answer(ack, op.DisconnectSockets(close))
}
