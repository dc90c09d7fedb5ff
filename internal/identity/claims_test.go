package identity_test

import (
	"strings"
	"testing"

	"rtserver/internal/identity"
)

func TestClaimsOwner(t *testing.T) {
	login := identity.Claims{UserID: "alice", SessionID: "s-secret-1", TokenID: "j1"}
	refreshed := login
	refreshed.TokenID, refreshed.Teams = "j2", []string{"red"}
	if login.Owner() == "" || login.Owner() != refreshed.Owner() {
		t.Errorf("one login, two owners: %q %q", login.Owner(), refreshed.Owner())
	}
	if strings.Contains(login.Owner(), "s-secret-1") {
		t.Errorf("owner %q holds the session id", login.Owner())
	}
	others := []identity.Claims{
		{UserID: "carol", SessionID: "s-secret-1"},
		{UserID: "alice", SessionID: "s-secret-2"}, // another login
		{UserID: "alice"},                          // no server session
		{UserID: "alice:" + strings.Repeat("x", 43), SessionID: ""},
	}
	for _, o := range others {
		if o.Owner() == login.Owner() {
			t.Errorf("%+v has alice's owner", o)
		}
	}
	if got := (identity.Claims{SessionID: "s"}).Owner(); got != "" {
		t.Errorf("no user: owner %q", got)
	}
}
