package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is the PostgreSQL implementation of [Store], for running
// several server nodes on one database.
//
// It keeps the semantics of [SQLite]: the same sentinel errors, order by
// an insertion sequence (identity columns), usernames unique regardless
// of ASCII case, times at millisecond precision in UTC, message appends
// batched by one writer goroutine with retention after the commit.
//
// Concurrency: a *Postgres is safe for concurrent use; pgxpool pools the
// connections. Each node has its own writer goroutine, so with several
// nodes the messages table has several writers: appends from different
// nodes are ordered by the sequence value their insert drew, and a
// message may become visible just after a newer one from another node.
// Retention runs on one node at a time: a node that finds another
// trimming (an advisory lock) skips its pass, so nodes trimming the same
// room do not wait for each other.
type Postgres struct {
	settings
	pool *pgxpool.Pool
	// writer is the message append queue and its goroutine (writer.go,
	// postgres_batch.go); trims is the writer's retention state.
	writer    *appendWriter
	trims     pgTrimmer
	closeOnce sync.Once
}

var _ Store = (*Postgres)(nil)

// migrationLockKey is the pg_advisory_xact_lock key that serialises
// migrations, so that nodes starting at once apply each migration once.
// Advisory locks are per database, so other applications are only
// affected if they use the same key in the same database.
const migrationLockKey int64 = 0x72747365_72766572 // "rtserver"

// OpenPostgres connects to databaseURL (a postgres:// URL or key=value
// DSN, as pgxpool.ParseConfig takes it; pool_max_conns and the other
// pool_ parameters apply), applies pending migrations and starts the
// message writer goroutine, which Close stops. opts are as for [Open].
//
// The tables go into the first schema of the connection's search_path
// (normally public); applied migrations are counted in schema_migrations.
func OpenPostgres(ctx context.Context, databaseURL string, opts Options) (*Postgres, error) {
	set, err := opts.settings()
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// pgconn's parse errors quote the URL, password included.
		return nil, errors.New("store: invalid database URL")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Postgres{settings: set, pool: pool, trims: pgTrimmer{cuts: make(map[string]int64)}}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	s.writer = startWriter(s, s.now, s.log, trimOnCadence)
	return s, nil
}

// pgMigrations are applied in order; schema_migrations holds the version
// of each applied one. Never edit an applied migration: append a new one.
func pgMigrations() []string {
	return []string{
		// lower(username COLLATE "C") folds ASCII letters only, whatever
		// the database's locale, like SQLite's NOCASE: the two stores
		// agree on which usernames collide.
		`CREATE TABLE users (
			id            text PRIMARY KEY,
			username      text NOT NULL,
			display_name  text NOT NULL,
			password_hash text NOT NULL,
			teams         text[] NOT NULL DEFAULT '{}',
			roles         text[] NOT NULL DEFAULT '{}',
			created_at    timestamptz NOT NULL
		);
		CREATE UNIQUE INDEX users_username_nocase ON users (lower(username COLLATE "C"));
		CREATE TABLE sessions (
			id         text PRIMARY KEY,
			user_id    text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			jti        text NOT NULL DEFAULT '',
			created_at timestamptz NOT NULL,
			expires_at timestamptz NOT NULL,
			revoked_at timestamptz
		);
		CREATE INDEX sessions_user_id ON sessions (user_id);
		CREATE INDEX sessions_expires_at ON sessions (expires_at);
		CREATE TABLE revoked_tokens (
			jti        text PRIMARY KEY,
			expires_at timestamptz NOT NULL
		);
		CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);`,

		// seq gives the order of appends; an identity never hands out a
		// value twice, so a seq names one message for good.
		// messages_room_seq serves History and the per-room trim,
		// messages_ts the age trim. data is json, not jsonb, so that it
		// reads back byte for byte. notifications_unread is partial:
		// Unread walks unread rows only.
		`CREATE TABLE messages (
			seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			id        text NOT NULL UNIQUE,
			room      text NOT NULL,
			user_id   text NOT NULL,
			user_name text NOT NULL,
			text      text NOT NULL,
			ts        timestamptz NOT NULL
		);
		CREATE INDEX messages_room_seq ON messages (room, seq);
		CREATE INDEX messages_ts ON messages (ts);
		CREATE TABLE notifications (
			seq     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			id      text NOT NULL UNIQUE,
			user_id text NOT NULL,
			type    text NOT NULL,
			title   text NOT NULL,
			body    text NOT NULL,
			data    json,
			ts      timestamptz NOT NULL,
			read_at timestamptz
		);
		CREATE INDEX notifications_user_seq ON notifications (user_id, seq);
		CREATE INDEX notifications_unread ON notifications (user_id, seq) WHERE read_at IS NULL;`,
	}
}

// migrate applies pending migrations in one transaction that first takes
// the migration advisory lock: a node starting while another migrates
// waits for it, then finds the migrations applied.
func (s *Postgres) migrate(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey); err != nil {
			return err
		}
		// Under the lock, so that two nodes do not race to create it.
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var version int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
			return err
		}
		ms := pgMigrations()
		if version > len(ms) {
			return fmt.Errorf("database schema version %d is newer than this server (%d)", version, len(ms))
		}
		for i := version; i < len(ms); i++ {
			// No arguments: pgx sends it as a simple query, which may
			// hold several statements.
			if _, err := tx.Exec(ctx, ms[i]); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, i+1); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// PostgreSQL error codes the store maps onto sentinels.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

// pgCode returns the SQLSTATE of err, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// pgTime returns t as stored: at millisecond precision, in UTC, as
// SQLite stores it, so that both stores return equal times.
func pgTime(t time.Time) time.Time { return fromMillis(millis(t)) }

// pgText reports whether PostgreSQL can store every s as text: valid
// UTF-8 without NUL bytes. SQLite stores any string; PostgreSQL would
// fail the statement, so callers check first and fail only the bad value.
func pgText(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
		for i := 0; i < len(s); i++ {
			if s[i] == 0 {
				return false
			}
		}
	}
	return true
}

// errText is returned for strings PostgreSQL cannot store (see pgText).
var errText = errors.New("store: text must be valid UTF-8 without NUL bytes")

// nonNil returns l, or an empty list for nil: a nil slice would be bound
// as NULL.
func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// CreateUser implements Store.
func (s *Postgres) CreateUser(ctx context.Context, u User) error {
	if u.ID == "" || u.Username == "" {
		return errors.New("store: user id and username are required")
	}
	if !pgText(u.ID, u.Username, u.DisplayName, u.PasswordHash) || !pgText(u.Teams...) || !pgText(u.Roles...) {
		return errText
	}
	created := u.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	_, err := s.pool.Exec(ctx,
		`INSERT INTO users (id, username, display_name, password_hash, teams, roles, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		u.ID, u.Username, u.DisplayName, u.PasswordHash, nonNil(u.Teams), nonNil(u.Roles), pgTime(created))
	if pgCode(err) == pgUniqueViolation {
		return ErrExists
	}
	if err != nil {
		return fmt.Errorf("store: create user: %w", err)
	}
	return nil
}

const pgUserColumns = `id, username, display_name, password_hash, teams, roles, created_at`

func pgScanUser(row scanner) (User, error) {
	var u User
	if err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.PasswordHash, &u.Teams, &u.Roles, &u.CreatedAt); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return User{}, ErrNotFound
		}
		return User{}, fmt.Errorf("store: read user: %w", err)
	}
	// As SQLite's store: empty lists, not nil.
	u.Teams, u.Roles = nonNil(u.Teams), nonNil(u.Roles)
	u.CreatedAt = u.CreatedAt.UTC()
	return u, nil
}

// UserByName implements Store. It walks users_username_nocase.
func (s *Postgres) UserByName(ctx context.Context, username string) (User, error) {
	if !pgText(username) {
		return User{}, ErrNotFound // no stored name has such bytes
	}
	return pgScanUser(s.pool.QueryRow(ctx,
		`SELECT `+pgUserColumns+` FROM users WHERE lower(username COLLATE "C") = lower($1::text COLLATE "C")`, username))
}

// UserByID implements Store.
func (s *Postgres) UserByID(ctx context.Context, id string) (User, error) {
	if !pgText(id) {
		return User{}, ErrNotFound
	}
	return pgScanUser(s.pool.QueryRow(ctx, `SELECT `+pgUserColumns+` FROM users WHERE id = $1`, id))
}

// ListUsers implements Store, ordered by username as SQLite orders it
// (ASCII case folded), whatever the database's locale.
func (s *Postgres) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pgUserColumns+` FROM users ORDER BY lower(username COLLATE "C")`)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	defer rows.Close()
	return collectRows("list users", rows, 0, pgScanUser)
}

// CreateSession implements Store. The users foreign key reports an
// unknown user, atomically with the insert.
func (s *Postgres) CreateSession(ctx context.Context, sess Session) (Session, error) {
	if sess.UserID == "" || sess.ExpiresAt.IsZero() {
		return Session{}, errors.New("store: session user id and expiry are required")
	}
	if !pgText(sess.ID, sess.UserID, sess.JTI) {
		return Session{}, errText
	}
	if sess.ID == "" {
		id, err := NewSessionID()
		if err != nil {
			return Session{}, err
		}
		sess.ID = id
	}
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = s.now()
	}
	sess.CreatedAt = pgTime(sess.CreatedAt)
	sess.ExpiresAt = pgTime(sess.ExpiresAt)
	sess.RevokedAt = time.Time{}
	_, err := s.pool.Exec(ctx,
		`INSERT INTO sessions (id, user_id, jti, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		sess.ID, sess.UserID, sess.JTI, sess.CreatedAt, sess.ExpiresAt)
	switch pgCode(err) {
	case "":
	case pgUniqueViolation:
		return Session{}, ErrExists
	case pgForeignKeyViolation:
		return Session{}, fmt.Errorf("store: create session: user %q: %w", sess.UserID, ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: create session: %w", err)
	}
	return sess, nil
}

// Session implements Store.
func (s *Postgres) Session(ctx context.Context, id string) (Session, error) {
	if !pgText(id) {
		return Session{}, ErrNotFound
	}
	var (
		sess    Session
		revoked *time.Time
	)
	err := s.pool.QueryRow(ctx,
		`SELECT id, user_id, jti, created_at, expires_at, revoked_at FROM sessions WHERE id = $1`, id).
		Scan(&sess.ID, &sess.UserID, &sess.JTI, &sess.CreatedAt, &sess.ExpiresAt, &revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: read session: %w", err)
	}
	sess.CreatedAt, sess.ExpiresAt = sess.CreatedAt.UTC(), sess.ExpiresAt.UTC()
	if revoked != nil {
		sess.RevokedAt = revoked.UTC()
	}
	return sess, nil
}

// RevokeSession implements Store in one statement, so that the session
// and its jti are revoked together without a transaction's round trips.
func (s *Postgres) RevokeSession(ctx context.Context, id string) error {
	if !pgText(id) {
		return ErrNotFound
	}
	n, err := s.revokeSessions(ctx, `revoked_at = coalesce(revoked_at, $1) WHERE id = $2`, id)
	if err != nil {
		return fmt.Errorf("store: revoke session: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// RevokeUserSessions implements Store in one statement.
func (s *Postgres) RevokeUserSessions(ctx context.Context, userID string) (int, error) {
	if !pgText(userID) {
		return 0, nil
	}
	n, err := s.revokeSessions(ctx, `revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, userID)
	if err != nil {
		return 0, fmt.Errorf("store: revoke user sessions: %w", err)
	}
	return n, nil
}

// pgRevokeJTI is the upsert of a revoked jti: revoking again keeps the
// later expiry.
const pgRevokeJTI = `ON CONFLICT (jti) DO UPDATE SET expires_at = greatest(revoked_tokens.expires_at, excluded.expires_at)`

// revokeSessions runs UPDATE sessions SET set (where $1 is now and $2
// arg), revokes the jtis of the updated sessions, and returns how many
// it updated, all in one statement.
func (s *Postgres) revokeSessions(ctx context.Context, set, arg string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx,
		`WITH s AS (
			UPDATE sessions SET `+set+`
			RETURNING jti, expires_at
		), r AS (
			INSERT INTO revoked_tokens (jti, expires_at) SELECT jti, expires_at FROM s WHERE jti <> ''
			`+pgRevokeJTI+`
		)
		SELECT count(*) FROM s`,
		pgTime(s.now()), arg).Scan(&n)
	return n, err
}

// RevokeJTI implements Store. Revoking again keeps the later expiry.
func (s *Postgres) RevokeJTI(ctx context.Context, jti string, exp time.Time) error {
	if jti == "" {
		return errors.New("store: empty jti")
	}
	if !pgText(jti) {
		return errText
	}
	_, err := s.pool.Exec(ctx,
		`INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) `+pgRevokeJTI,
		jti, pgTime(exp))
	if err != nil {
		return fmt.Errorf("store: revoke token: %w", err)
	}
	return nil
}

// IsRevoked implements Store and auth.Revocations.
func (s *Postgres) IsRevoked(ctx context.Context, jti string) (bool, error) {
	if !pgText(jti) {
		return false, nil // never stored
	}
	var revoked bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1)`, jti).Scan(&revoked)
	if err != nil {
		return false, fmt.Errorf("store: revocation check: %w", err)
	}
	return revoked, nil
}

// DeleteExpired implements Store in one statement (one transaction).
func (s *Postgres) DeleteExpired(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx,
		`WITH r AS (DELETE FROM revoked_tokens WHERE expires_at < $1 RETURNING 1),
		      s AS (DELETE FROM sessions WHERE expires_at < $1 RETURNING 1)
		 SELECT (SELECT count(*) FROM r) + (SELECT count(*) FROM s)`,
		pgTime(t)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: delete expired: %w", err)
	}
	return n, nil
}

// Ping implements Store.
func (s *Postgres) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close implements Store: it refuses new appends, waits for the writer
// to store the accepted ones (and trim the rooms they touched), then
// closes the pool, waiting for borrowed connections to come back.
func (s *Postgres) Close() error {
	s.closeOnce.Do(func() {
		s.writer.close()
		s.pool.Close()
	})
	return nil
}
