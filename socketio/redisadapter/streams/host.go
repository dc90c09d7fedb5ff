package streams

import "rtserver/socketio"

// receiveServerSideEmit is the one call into the namespace for server-side events
// from other nodes, kept here so that a change of the host interface touches one line.
func receiveServerSideEmit(n *socketio.Namespace, event string, args socketio.Args) {
	n.ReceiveServerSideEmit(event, args)
}
