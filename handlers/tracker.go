package handlers

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"rtserver/socketio"
)

// Tracker indexes the live authenticated sockets of every namespace by
// user, token (jti) and session, so logout and kick can end exactly the
// right ones and /admin can list who is online. It is safe for concurrent
// use; disconnects run after the lock is released (a disconnect re-enters
// Remove through the socket's disconnect handler).
//
// Connects racing a sweep. A socket's credential is verified in its
// handshake, but the socket can only be added once it is connected, some
// time later; a logout, revoke or kick sweeping in between would miss it,
// and it would live on until its credential expires. So every sweep
// (DisconnectUser, DisconnectCredential, and the same from other nodes
// through OnPeerEvent) moves, under the lock, a generation of each user,
// token and session it names, and a connect holds a Ticket taken (Begin)
// before its credential is verified: Add refuses the socket when a sweep
// since the ticket named its user, token or session. For logout and
// revoke, which store the revocation before they sweep:
//
//   - ticket after the sweep: the verification began after the revocation
//     was stored, so it refuses the credential;
//   - ticket before the sweep, Add before it: the sweep finds the socket
//     and ends it;
//   - ticket before the sweep, Add after it: Add sees the sweep's
//     generation and refuses the socket.
//
// Begin, the sweep and Add take the lock, so one of the three holds. On
// another node the sweep runs when the peer event arrives, after the
// origin stored the revocation: the same cases hold there. A kick stores
// nothing: a connect whose ticket is taken after the kick's sweep may
// succeed (a kick is not a ban); one verified before it does not survive.
type Tracker struct {
	// peers, when set (SetPeers), repeats user and credential disconnects
	// on the other nodes of a cluster.
	peers   atomic.Pointer[func(event string, args ...any)]
	mu      sync.Mutex
	sockets map[string]tracked // socket key → entry
	// byUser, byToken and bySession list the socket keys of each user,
	// token and session: a few each (MaxSocketsPerUser), so a slice,
	// much smaller than a set per name, which every idle socket paid.
	byUser  map[string][]string
	byToken map[string][]string
	// bySession is keyed by sessionKey(session id): the raw id is the
	// cookie's secret, and the key also travels between nodes.
	bySession map[string][]string

	// gen counts the sweeps. pending counts the unspent tickets by the
	// gen they were taken at. sweptUser, sweptToken and sweptSession hold
	// the gen of the last sweep that named a user, token or session key,
	// only while a ticket older than it is pending (pruneLocked), so they
	// stay as small as the connects in flight allow.
	gen                                 uint64
	pending                             map[uint64]int
	sweptUser, sweptToken, sweptSession map[string]uint64
}

// Ticket is a connect's place among the sweeps of a Tracker: taken with
// Begin before the credential is verified, spent by Add or Release.
type Ticket struct {
	t     *Tracker
	gen   uint64
	spent bool // guarded by t.mu
}

// sessionKey is the tracker's name for a session: a hash of its id, so
// the cookie's value is neither kept here nor sent to other nodes.
func sessionKey(sessionID string) string {
	if sessionID == "" {
		return ""
	}
	h := sha256.Sum256([]byte(sessionID))
	return hex.EncodeToString(h[:16])
}

type tracked struct {
	userID, name, tokenID, sessionID string
	disconnect                       func()
	// uncounted: swept like the others, but left out of Online and
	// UserSockets (AddUncounted).
	uncounted bool
}

// NewTracker returns an empty tracker.
func NewTracker() *Tracker {
	return &Tracker{
		sockets:   make(map[string]tracked),
		byUser:    make(map[string][]string),
		byToken:   make(map[string][]string),
		bySession: make(map[string][]string),
		pending:   make(map[uint64]int),
		sweptUser: make(map[string]uint64), sweptToken: make(map[string]uint64), sweptSession: make(map[string]uint64),
	}
}

// Begin returns the ticket of a connect (or an in-band re-authentication)
// about to verify a credential; take it before verifying, and hand it to
// Add, or Release it when the connect goes no further.
func (t *Tracker) Begin() *Ticket {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending[t.gen]++
	return &Ticket{t: t, gen: t.gen}
}

// Release gives the ticket up; it is a no-op on a spent ticket, so it can
// be deferred, or run when the socket ends, whether Add ran or not.
func (k *Ticket) Release() {
	k.t.mu.Lock()
	defer k.t.mu.Unlock()
	k.t.spendLocked(k)
}

func (t *Tracker) spendLocked(k *Ticket) {
	if k.spent {
		return
	}
	k.spent = true
	if t.pending[k.gen]--; t.pending[k.gen] <= 0 {
		delete(t.pending, k.gen)
	}
	if len(t.pending) == 0 {
		t.pruneLocked()
	}
}

// Add registers the socket with the unique key (namespace + socket id)
// acting for the given user and credential; disconnect ends it with
// "io server disconnect". Adding a key again replaces it. Add spends the
// ticket and registers nothing, returning false, when the ticket is nil,
// spent or another tracker's, or when a sweep since the ticket was taken
// named userID, tokenID or sessionID (see Tracker); the key's previous
// entry then stays as it was.
func (t *Tracker) Add(k *Ticket, key, userID, name, tokenID, sessionID string, disconnect func()) bool {
	return t.add(k, key, tracked{userID: userID, name: name, tokenID: tokenID, sessionID: sessionID, disconnect: disconnect})
}

// AddUncounted is Add for a socket that is not the user's presence but a
// tool acting for them (an Admin UI socket): logout, revoke and kick end it
// like any other, but Online does not list it and UserSockets, the per-user
// cap's count, leaves it out, so watching the server never locks its admin
// out of the product's namespaces.
func (t *Tracker) AddUncounted(k *Ticket, key, userID, name, tokenID, sessionID string, disconnect func()) bool {
	return t.add(k, key, tracked{userID: userID, name: name, tokenID: tokenID, sessionID: sessionID, disconnect: disconnect, uncounted: true})
}

func (t *Tracker) add(k *Ticket, key string, e tracked) bool {
	userID, tokenID, sessionID := e.userID, e.tokenID, e.sessionID
	t.mu.Lock()
	defer t.mu.Unlock()
	if k == nil || k.t != t || k.spent {
		return false
	}
	sessionID = sessionKey(sessionID)
	swept := t.sweptUser[userID] > k.gen || t.sweptToken[tokenID] > k.gen || t.sweptSession[sessionID] > k.gen
	t.spendLocked(k)
	if swept {
		return false
	}
	t.removeLocked(key)
	e.sessionID = sessionID
	t.sockets[key] = e
	index(t.byUser, userID, key)
	index(t.byToken, tokenID, key)
	index(t.bySession, sessionID, key)
	return true
}

// Remove forgets the socket; unknown keys are ignored.
func (t *Tracker) Remove(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.removeLocked(key)
}

func (t *Tracker) removeLocked(key string) {
	e, ok := t.sockets[key]
	if !ok {
		return
	}
	delete(t.sockets, key)
	unindex(t.byUser, e.userID, key)
	unindex(t.byToken, e.tokenID, key)
	unindex(t.bySession, e.sessionID, key)
}

// Events between nodes (server-side emits on `/`).
const (
	peerKick   = "rt:disconnect-user"
	peerLogout = "rt:disconnect-credential"
)

// SetPeers makes DisconnectUser and DisconnectCredential also reach the
// other nodes through emit (the `/` namespace's ServerSideEmit); each node
// hands what it receives to OnPeerEvent.
func (t *Tracker) SetPeers(emit func(event string, args ...any) error) {
	fn := func(event string, args ...any) { _ = emit(event, args...) }
	t.peers.Store(&fn)
}

func (t *Tracker) tellPeers(event string, args ...any) {
	if fn := t.peers.Load(); fn != nil {
		(*fn)(event, args...)
	}
}

// OnPeerEvent applies a disconnect another node asked for. Unknown events
// are ignored.
func (t *Tracker) OnPeerEvent(event string, args socketio.Args) {
	var a, b string
	switch event {
	case peerKick:
		if args.Decode(0, &a) == nil {
			t.disconnectUser(a)
		}
	case peerLogout:
		if args.Decode(0, &a) == nil && args.Decode(1, &b) == nil {
			t.disconnectCredential(a, b)
		}
	}
}

// DisconnectUser ends every socket of the user, on every node, and returns
// how many it ended on this one.
func (t *Tracker) DisconnectUser(userID string) int {
	t.tellPeers(peerKick, userID)
	return t.disconnectUser(userID)
}

func (t *Tracker) disconnectUser(userID string) int {
	return t.sweep(func() []string {
		t.markLocked(t.sweptUser, userID)
		return slices.Clone(t.byUser[userID])
	})
}

// DisconnectCredential ends every socket that authenticated with the token
// id or the session id (either may be empty), on every node, and returns
// how many it ended on this one.
func (t *Tracker) DisconnectCredential(tokenID, sessionID string) int {
	skey := sessionKey(sessionID)
	t.tellPeers(peerLogout, tokenID, skey)
	return t.disconnectCredential(tokenID, skey)
}

// disconnectCredential takes the session's key (sessionKey).
func (t *Tracker) disconnectCredential(tokenID, skey string) int {
	return t.sweep(func() []string {
		t.markLocked(t.sweptToken, tokenID)
		t.markLocked(t.sweptSession, skey)
		ks := slices.Clone(t.byToken[tokenID])
		for _, k := range t.bySession[skey] {
			if !slices.Contains(ks, k) {
				ks = append(ks, k)
			}
		}
		return ks
	})
}

// sweep starts a new generation, then, under the lock, marks what it
// names and collects the targets (both done by targets), and ends them
// after the lock.
func (t *Tracker) sweep(targets func() []string) int {
	t.mu.Lock()
	t.gen++
	ks := targets()
	t.pruneLocked()
	fns := make([]func(), 0, len(ks))
	for _, k := range ks {
		fns = append(fns, t.sockets[k].disconnect)
	}
	t.mu.Unlock()
	for _, f := range fns {
		f()
	}
	return len(fns)
}

// markLocked records that the current sweep named k (a user id, token id
// or session key) in m; empty names nothing.
func (t *Tracker) markLocked(m map[string]uint64, k string) {
	if k != "" {
		m[k] = t.gen
	}
}

// pruneLocked forgets the sweeps no pending ticket is older than: Add
// compares with them only tickets taken before them.
func (t *Tracker) pruneLocked() {
	oldest, found := uint64(0), false
	for g := range t.pending {
		if !found || g < oldest {
			oldest, found = g, true
		}
	}
	for _, m := range []map[string]uint64{t.sweptUser, t.sweptToken, t.sweptSession} {
		if !found {
			clear(m)
			continue
		}
		for k, g := range m {
			if g <= oldest {
				delete(m, k)
			}
		}
	}
}

// OnlineUser is one line of /admin `online`.
type OnlineUser struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Sockets int    `json:"sockets"`
}

// Online lists each connected user once, with the number of sockets (over
// all namespaces, uncounted ones left out), sorted by id.
func (t *Tracker) Online() []OnlineUser {
	t.mu.Lock()
	out := make([]OnlineUser, 0, len(t.byUser))
	for id, ks := range t.byUser {
		u := OnlineUser{ID: id}
		for _, k := range ks {
			if e := t.sockets[k]; !e.uncounted {
				u.Name = e.name
				u.Sockets++
			}
		}
		if u.Sockets > 0 {
			out = append(out, u)
		}
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b OnlineUser) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Name returns the display name of a connected user, or the id when the
// user has no tracked socket.
func (t *Tracker) Name(userID string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range t.byUser[userID] {
		if name := t.sockets[k].name; name != "" {
			return name
		}
	}
	return userID
}

// UserSocketsIn returns the number of tracked sockets of the user in the
// namespace nsp.
func (t *Tracker) UserSocketsIn(userID, nsp string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, k := range t.byUser[userID] {
		if strings.HasPrefix(k, nsp+"#") {
			n++
		}
	}
	return n
}

// UserSockets returns the number of tracked sockets of the user, uncounted
// ones left out.
func (t *Tracker) UserSockets(userID string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, k := range t.byUser[userID] {
		if !t.sockets[k].uncounted {
			n++
		}
	}
	return n
}

// Len returns the number of tracked sockets.
func (t *Tracker) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.sockets)
}

// index adds key to the keys of k (none for an empty k); the caller
// removed key first, so it is not there yet.
func index(m map[string][]string, k, key string) {
	if k != "" {
		m[k] = append(m[k], key)
	}
}

// unindex removes key from the keys of k, and k when none are left.
func unindex(m map[string][]string, k, key string) {
	ks := m[k]
	i := slices.Index(ks, key)
	switch {
	case i < 0:
	case len(ks) == 1:
		delete(m, k)
	default:
		m[k] = slices.Delete(ks, i, i+1)
	}
}
