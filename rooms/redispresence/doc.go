// Package redispresence implements rooms.Shared on Redis, for several
// server nodes sharing one Redis: it counts users, not sockets, over all
// nodes, and announces users whose node stopped without departing them.
//
//	p, err := redispresence.New(ctx, redispresence.Config{
//		Client: rdb,
//		OnGone: handlers.AnnounceGone(io),
//	})
//	...
//	p.Shutdown(ctx) // departs this node's users, announcing the last ones
//
// # Model
//
// Each (room, user) has a sorted set of the nodes the user is in the room
// on, scored by the entry's expiry (Redis time, ms). Arrive adds this
// node's entry and is first when no live entry was there; Depart removes it
// and is last when it empties the set. Each decision is one Lua script, so
// concurrent calls from any number of nodes agree: per presence interval of
// a user in a room exactly one call reports first and exactly one call (a
// Depart, or the janitor's OnGone) reports the end. A per-room index and a
// names hash serve Members; a cluster-wide queue of (room, user) ordered by
// latest expiry is the janitor's work list. Keys and scripts are described
// in scripts.go.
//
// # Crashes and outages
//
// Every Refresh, each node re-scores all its entries (in batches of 128 per
// script) and then runs the janitor: it takes at most 1024 users whose
// every entry has expired, removes them, and calls OnGone for each user
// whose last entry it removed. A crashed node's users are therefore
// announced once, by one of the surviving nodes, within about TTL+Refresh;
// users also present on another node are not announced.
//
// The node keeps its own arrivals locally, whether or not Redis took them,
// so the local set is always exactly this node's current arrivals. While
// Redis is unreachable Arrive, Depart and Members fail within their ctx (the
// caller falls back to single-node behaviour) and the loop logs once; when
// Redis answers again, the next refresh writes the entries back, including
// after Redis lost all its data. Every key also expires 3×TTL after its
// last write, so an abandoned cluster leaves nothing in Redis.
//
// # Limits
//
//   - Restoring is silent: a user whose entries expired (announced through
//     OnGone) while their node was cut from Redis for longer than TTL
//     reappears in Members when the node's refresh restores them, with no
//     "first" reported.
//   - A user whose entries expired but whom no janitor has removed yet and
//     who arrives again is reported first, with no OnGone before it.
//   - When a key expired on its own (no node wrote it for 3×TTL), its users
//     are not announced: no node was left to hear it.
//   - On Redis Cluster, Prefix must carry a hash tag: all keys live in one
//     slot, which the scripts need.
//
// # Concurrency
//
// Every method is safe for concurrent use. The local set is guarded by a
// mutex held only for map operations; each entry also has a one-slot lock
// that orders this node's writes of it (Arrive, Depart, refresh, Close), so
// a refresh never writes back an entry a concurrent Depart removed. Waits
// for it are bounded by the caller's ctx, and the refresh skips busy
// entries rather than wait. OnGone runs on the loop goroutine (or in
// Close) with no lock held.
package redispresence
