package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The PostgreSQL side of the message writer (writer.go): Postgres
// implements messageBackend with trimOnCadence.

// pgWriteTimeout bounds one statement of the writer. The writer's work
// belongs to many callers, so no caller's ctx may cancel it, but a
// database that stopped answering must not hold the queue (and Close)
// forever.
const pgWriteTimeout = 30 * time.Second

// insertMessages implements messageBackend in one INSERT (its own
// transaction, one round trip).
//
// The rows go in the order of the batch: the identity's nextval runs as
// the rows leave the ordered subquery. An id that appears twice in the
// batch is sent once, for its first request, so that the request told
// "stored" is the one whose message was stored; ON CONFLICT DO NOTHING
// skips ids stored already, and RETURNING names the ids inserted.
func (s *Postgres) insertMessages(batch []*appendReq, errs []error) error {
	n := len(batch)
	var (
		first                           = make(map[string]int, n) // id → index of its first live request
		dups                            []int                     // later live requests for an id in first
		ids, rooms, users, names, texts = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		tss                             = make([]time.Time, 0, n)
	)
	for i, r := range batch {
		if errs[i] != nil {
			continue
		}
		m := r.m
		if _, dup := first[m.ID]; dup {
			dups = append(dups, i)
			continue
		}
		first[m.ID] = i
		ids, rooms, users, names, texts = append(ids, m.ID), append(rooms, m.Room), append(users, m.UserID), append(names, m.UserName), append(texts, m.Text)
		tss = append(tss, pgTime(m.TS))
	}
	ctx, cancel := context.WithTimeout(context.Background(), pgWriteTimeout)
	defer cancel()
	rows, err := s.pool.Query(ctx,
		`INSERT INTO messages (id, room, user_id, user_name, text, ts)
		 SELECT id, room, user_id, user_name, text, ts
		 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
		      WITH ORDINALITY AS b(id, room, user_id, user_name, text, ts, ord)
		 ORDER BY ord
		 ON CONFLICT (id) DO NOTHING
		 RETURNING id`,
		ids, rooms, users, names, texts, tss)
	if err != nil {
		return fmt.Errorf("store: append message: %w", err)
	}
	inserted, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("store: append message: %w", err)
	}
	for _, id := range inserted {
		delete(first, id)
	}
	// What is left was there before. The later requests for an id fail
	// only now: had the INSERT failed, they would share its error.
	for _, i := range first {
		errs[i] = ErrExists
	}
	for _, i := range dups {
		errs[i] = ErrExists
	}
	return nil
}

// pgTrimmer is the retention state of the writer goroutine, which alone
// uses it (through trim).
type pgTrimmer struct {
	// cuts maps a room to the seq below which this node's last trim of
	// it deleted every row. The next trim of the room starts there:
	// deleted rows stay in the room's index range until VACUUM, and
	// walking them again on every trim made trimming slower the more it
	// had deleted. A row of another node whose insert drew a lower seq
	// but committed after the cut is missed (History hides it); cuts is
	// reset every cutsReset passes, so that a full trim catches it.
	cuts   map[string]int64
	passes int
}

const (
	// cutsReset is how many trim passes keep cuts (a minute or more at
	// one pass per trimEvery).
	cutsReset = 600
	// cutsMax caps the rooms cuts remembers.
	cutsMax = 4096
)

// trimLockKey is the advisory lock key a node holds while it trims.
const trimLockKey int64 = migrationLockKey + 1

// trim implements messageBackend. Both deletes walk an index
// (messages_room_seq from the room's cut, messages_ts).
//
// The transaction first tries the trim advisory lock and gives up with
// errTrimBusy when another node holds it: two nodes deleting the same
// rooms' rows at once would wait for each other's row locks, or deadlock.
// Skipping costs nothing, since History hides what awaits trimming and
// the rooms stay dirty for the next pass.
func (s *Postgres) trim(dirty map[string]struct{}) error {
	tr := &s.trims
	if tr.passes++; tr.passes%cutsReset == 0 || len(tr.cuts) > cutsMax {
		clear(tr.cuts)
	}
	n := min(len(dirty), trimRooms)
	rooms, from := make([]string, 0, n), make([]int64, 0, n)
	for room := range dirty {
		if len(rooms) == n {
			break
		}
		rooms, from = append(rooms, room), append(from, tr.cuts[room])
	}
	ctx, cancel := context.WithTimeout(context.Background(), pgWriteTimeout)
	defer cancel()
	cuts := make(map[string]int64, n)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, trimLockKey).Scan(&locked); err != nil {
			return err
		}
		if !locked {
			return errTrimBusy
		}
		b := &pgx.Batch{}
		b.Queue(`WITH d AS (
				DELETE FROM messages m USING unnest($1::text[], $2::bigint[]) AS r(room, cut)
				CROSS JOIN LATERAL (
					SELECT seq FROM messages WHERE room = r.room ORDER BY seq DESC OFFSET $3 LIMIT 1
				) AS k
				WHERE m.room = r.room AND m.seq >= r.cut AND m.seq < k.seq
				RETURNING r.room, k.seq
			)
			SELECT room, max(seq) FROM d GROUP BY room`,
			rooms, from, s.historyLimit-1).Query(func(rows pgx.Rows) error {
			var (
				room string
				cut  int64
			)
			_, err := pgx.ForEachRow(rows, []any{&room, &cut}, func() error {
				cuts[room] = cut
				return nil
			})
			return err
		})
		if s.historyMaxAge > 0 {
			b.Queue(`DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE ts < $1 LIMIT $2)`,
				s.ageCutoff(), ageChunk)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return err
	}
	for _, room := range rooms {
		delete(dirty, room)
	}
	for room, cut := range cuts {
		tr.cuts[room] = cut
	}
	return nil
}

// ageCutoff returns the oldest TS retention keeps; only meaningful with a
// max age.
func (s *Postgres) ageCutoff() time.Time {
	return pgTime(s.now().Add(-s.historyMaxAge))
}
