package handlers

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"rtserver/socketio"
)

// clusterTimeout bounds how long `/admin` online, kick and revoke wait for the
// other nodes' sockets; a node that has not answered by then makes the ack partial.
const clusterTimeout = 2 * time.Second

// socketUser is the Socket.SetData of every admitted socket: it travels in
// FetchSockets answers, so another node can name the socket's user. Only the id
// and the display name, shared with the claims, so it costs one small allocation.
type socketUser struct {
	ID   string `json:"userId"`
	Name string `json:"name"`
}

// nodeCount is the `nodes` field of a partial `/admin` ack: how many nodes
// (this one included) answered of how many the adapter counts.
type nodeCount struct {
	Answered int `json:"answered"`
	Expected int `json:"expected"`
}

// remoteUsers is what the other nodes report: sockets per user, and whether a
// node failed to answer.
type remoteUsers struct {
	users   map[string]OnlineUser
	partial *nodeCount // nil when every node answered
}

// addTo adds the partial fields to an ack.
func (r remoteUsers) addTo(fields ok) ok {
	if r.partial != nil {
		fields["partial"] = true
		fields["nodes"] = *r.partial
	}
	return fields
}

// fetchRemote asks every namespace's adapter for the sockets of the other nodes
// (of user only, when not ""), within clusterTimeout. Local sockets are left out:
// the Tracker knows them. Sockets without a socketUser (a Node.js node's, one
// not yet authenticated) are not counted.
func (n *namespaces) fetchRemote(ctx context.Context, user string) remoteUsers {
	ctx, cancel := context.WithTimeout(ctx, clusterTimeout)
	defer cancel()
	type result struct {
		socks []*socketio.RemoteSocket
		err   error
	}
	results := make([]result, len(n.nsps))
	var wg sync.WaitGroup
	for i, nsp := range n.nsps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var socks []*socketio.RemoteSocket
			var err error
			if user != "" && nsp.Name() != "/admin" {
				// Every socket of /, /chat and /notifications is in its
				// user's room; /admin sockets (few) are all fetched.
				socks, err = nsp.In(userRoom(user)).FetchSockets(ctx)
			} else {
				socks, err = nsp.FetchSockets(ctx)
			}
			results[i] = result{socks, err}
		}()
	}
	wg.Wait()
	out := remoteUsers{users: map[string]OnlineUser{}}
	for i, r := range results {
		if r.err != nil {
			nc := nodeCount{Answered: 1, Expected: 2}
			var pe *socketio.PartialError
			if errors.As(r.err, &pe) {
				nc = nodeCount{Answered: pe.Answered, Expected: pe.Expected}
			}
			n.log().Warn("cluster sockets: partial answer", "nsp", n.nsps[i].Name(), "answered", nc.Answered, "expected", nc.Expected, "err", r.err)
			if out.partial == nil || nc.Answered < out.partial.Answered {
				out.partial = &nc
			}
		}
		for _, rs := range r.socks {
			if rs.Local() != nil {
				continue
			}
			raw, isRaw := rs.Data.(json.RawMessage)
			if !isRaw {
				raw, _ = json.Marshal(rs.Data)
			}
			var su socketUser
			if json.Unmarshal(raw, &su) != nil || su.ID == "" || (user != "" && su.ID != user) {
				continue
			}
			u := out.users[su.ID]
			u.ID, u.Sockets = su.ID, u.Sockets+1
			if u.Name == "" {
				u.Name = su.Name
			}
			out.users[su.ID] = u
		}
	}
	return out
}

// clusterOnline is `/admin` online over every node: the Tracker's users plus the
// other nodes', each user once.
func (n *namespaces) clusterOnline(ctx context.Context) (map[string]any, error) {
	remote := n.fetchRemote(ctx, "")
	users := n.Sockets.Online()
	for i := range users {
		if r, found := remote.users[users[i].ID]; found {
			users[i].Sockets += r.Sockets
			delete(remote.users, users[i].ID)
		}
	}
	for _, r := range remote.users {
		users = append(users, r)
	}
	slices.SortFunc(users, func(a, b OnlineUser) int { return cmp.Compare(a.ID, b.ID) })
	return okAck(remote.addTo(ok{"users": users})), nil
}
