package socketio

import "testing"

// TestDisconnectReasonsAreNodes pins every reason to the string the Node server
// (and, for the io ones, the Node client) uses, so logs and dashboards match.
func TestDisconnectReasonsAreNodes(t *testing.T) {
	for r, want := range map[DisconnectReason]string{
		ReasonIOServerDisconnect:        "io server disconnect",
		ReasonIOClientDisconnect:        "io client disconnect",
		ReasonPingTimeout:               "ping timeout",
		ReasonTransportClose:            "transport close",
		ReasonTransportError:            "transport error",
		ReasonParseError:                "parse error",
		ReasonServerShuttingDown:        "server shutting down",
		ReasonForcedClose:               "forced close",
		ReasonForcedServerClose:         "forced server close",
		ReasonClientNamespaceDisconnect: "client namespace disconnect",
		ReasonServerNamespaceDisconnect: "server namespace disconnect",
	} {
		if r.String() != want {
			t.Errorf("%q, want %q", r, want)
		}
	}
}

// TestRecoverableReasons: only losses the client did not choose keep a session.
func TestRecoverableReasons(t *testing.T) {
	for r, want := range map[DisconnectReason]bool{
		ReasonTransportClose: true, ReasonTransportError: true, ReasonPingTimeout: true,
		ReasonForcedClose: true, ReasonServerShuttingDown: true,
		ReasonServerNamespaceDisconnect: false, ReasonClientNamespaceDisconnect: false,
		ReasonParseError: false, ReasonSlowConsumer: false,
	} {
		if r.recoverable() != want {
			t.Errorf("%q recoverable = %v", r, !want)
		}
	}
}
