package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// FileName is the database file in DATA_DIR.
const FileName = "rtserver.db"

// busyTimeout is how long a writer waits for the write lock.
const busyTimeout = 5 * time.Second

// SQLite is the SQLite implementation of [Store].
type SQLite struct {
	settings
	db *sql.DB
	// writer is the message append queue and its goroutine (writer.go,
	// batch.go).
	writer *appendWriter
	// hot are the reads of every authenticated connect, prepared once: modernc's
	// sqlite compiles a statement in Go, about half the cost of each such query.
	hot       hotStmts
	closeOnce sync.Once
	closeErr  error
}

var _ Store = (*SQLite)(nil)

// Open opens (creating if needed) DATA_DIR/rtserver.db, with dataDir
// created 0700 and the file 0600, applies pending migrations and starts
// the message writer goroutine, which Close stops.
func Open(ctx context.Context, dataDir string, opts Options) (*SQLite, error) {
	set, err := opts.settings()
	if err != nil {
		return nil, err
	}
	if dataDir == "" {
		return nil, errors.New("store: empty data directory")
	}
	if strings.ContainsAny(dataDir, "?#") {
		return nil, errors.New("store: data directory path must not contain ? or #")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	path := filepath.Join(dataDir, FileName)
	// Create the file ourselves so that it is 0600; SQLite would use 0644.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	f.Close()

	dsn := "file:" + path +
		fmt.Sprintf("?_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()) +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	s := &SQLite{settings: set, db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.hot.prepare(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	s.writer = startWriter(s, s.now, s.log, trimWhenDrained)
	return s, nil
}

// hotStmts are SQLite's prepared statements (see SQLite.hot).
type hotStmts struct {
	userByID, session, revoked *sql.Stmt
}

func (h *hotStmts) prepare(ctx context.Context, db *sql.DB) error {
	for _, q := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&h.userByID, `SELECT ` + userColumns + ` FROM users WHERE id = ?`},
		{&h.session, `SELECT id, user_id, jti, created_at, expires_at, revoked_at FROM sessions WHERE id = ?`},
		{&h.revoked, `SELECT 1 FROM revoked_tokens WHERE jti = ?`},
	} {
		st, err := db.PrepareContext(ctx, q.sql)
		if err != nil {
			h.close()
			return fmt.Errorf("store: prepare: %w", err)
		}
		*q.stmt = st
	}
	return nil
}

func (h *hotStmts) close() {
	for _, st := range []*sql.Stmt{h.userByID, h.session, h.revoked} {
		if st != nil {
			_ = st.Close()
		}
	}
}

// migrations are applied in order; user_version counts the applied ones.
// Never edit an applied migration: append a new one.
func migrations() []string {
	return []string{
		`CREATE TABLE users (
			id            TEXT PRIMARY KEY,
			username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
			display_name  TEXT NOT NULL,
			password_hash TEXT NOT NULL,
			teams         TEXT NOT NULL DEFAULT '[]',
			roles         TEXT NOT NULL DEFAULT '[]',
			created_at    INTEGER NOT NULL
		) STRICT;
		CREATE TABLE sessions (
			id         TEXT PRIMARY KEY,
			user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			jti        TEXT NOT NULL DEFAULT '',
			created_at INTEGER NOT NULL,
			expires_at INTEGER NOT NULL,
			revoked_at INTEGER
		) STRICT;
		CREATE INDEX sessions_user_id ON sessions(user_id);
		CREATE INDEX sessions_expires_at ON sessions(expires_at);
		CREATE TABLE revoked_tokens (
			jti        TEXT PRIMARY KEY,
			expires_at INTEGER NOT NULL
		) STRICT;
		CREATE INDEX revoked_tokens_expires_at ON revoked_tokens(expires_at);`,

		// seq gives the order of appends. AUTOINCREMENT never reuses a
		// seq, even after retention deleted a table's newest rows, so a
		// seq names one message for good. messages_room_seq serves History
		// and the per-room trim, messages_ts the age trim.
		// notifications_unread is partial: Unread walks unread rows only.
		`CREATE TABLE messages (
			seq       INTEGER PRIMARY KEY AUTOINCREMENT,
			id        TEXT NOT NULL UNIQUE,
			room      TEXT NOT NULL,
			user_id   TEXT NOT NULL,
			user_name TEXT NOT NULL,
			text      TEXT NOT NULL,
			ts        INTEGER NOT NULL
		) STRICT;
		CREATE INDEX messages_room_seq ON messages(room, seq);
		CREATE INDEX messages_ts ON messages(ts);
		CREATE TABLE notifications (
			seq     INTEGER PRIMARY KEY AUTOINCREMENT,
			id      TEXT NOT NULL UNIQUE,
			user_id TEXT NOT NULL,
			type    TEXT NOT NULL,
			title   TEXT NOT NULL,
			body    TEXT NOT NULL,
			data    TEXT,
			ts      INTEGER NOT NULL,
			read_at INTEGER
		) STRICT;
		CREATE INDEX notifications_user_seq ON notifications(user_id, seq);
		CREATE INDEX notifications_unread ON notifications(user_id, seq) WHERE read_at IS NULL;`,
	}
}

// migrate applies pending migrations in one immediate transaction, so
// that two processes opening a new file do not both apply them.
func (s *SQLite) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	ms := migrations()
	if version > len(ms) {
		return fmt.Errorf("store: database schema version %d is newer than this server (%d)", version, len(ms))
	}
	for i := version; i < len(ms); i++ {
		if _, err := tx.ExecContext(ctx, ms[i]); err != nil {
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(ms))); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return tx.Commit()
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// isConstraint reports whether err is a SQLite constraint violation.
func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}

func encodeList(l []string) (string, error) {
	if l == nil {
		l = []string{}
	}
	b, err := json.Marshal(l)
	return string(b), err
}

// CreateUser implements Store.
func (s *SQLite) CreateUser(ctx context.Context, u User) error {
	if u.ID == "" || u.Username == "" {
		return errors.New("store: user id and username are required")
	}
	teams, err := encodeList(u.Teams)
	if err != nil {
		return err
	}
	roles, err := encodeList(u.Roles)
	if err != nil {
		return err
	}
	created := u.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	_, err = s.db.ExecContext(ctx,
		`INSERT INTO users (id, username, display_name, password_hash, teams, roles, created_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Username, u.DisplayName, u.PasswordHash, teams, roles, millis(created))
	if isConstraint(err) {
		return ErrExists
	}
	if err != nil {
		return fmt.Errorf("store: create user: %w", err)
	}
	return nil
}

const userColumns = `id, username, display_name, password_hash, teams, roles, created_at`

func scanUser(row scanner) (User, error) {
	var (
		u            User
		teams, roles string
		created      int64
	)
	if err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.PasswordHash, &teams, &roles, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return User{}, ErrNotFound
		}
		return User{}, fmt.Errorf("store: read user: %w", err)
	}
	if err := json.Unmarshal([]byte(teams), &u.Teams); err != nil {
		return User{}, fmt.Errorf("store: user %s teams: %w", u.ID, err)
	}
	if err := json.Unmarshal([]byte(roles), &u.Roles); err != nil {
		return User{}, fmt.Errorf("store: user %s roles: %w", u.ID, err)
	}
	u.CreatedAt = fromMillis(created)
	return u, nil
}

// UserByName implements Store.
func (s *SQLite) UserByName(ctx context.Context, username string) (User, error) {
	return scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = ?`, username))
}

// UserByID implements Store.
func (s *SQLite) UserByID(ctx context.Context, id string) (User, error) {
	return scanUser(s.hot.userByID.QueryRowContext(ctx, id))
}

// ListUsers implements Store.
func (s *SQLite) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	defer rows.Close()
	return collectRows("list users", rows, 0, scanUser)
}

// CreateSession implements Store.
func (s *SQLite) CreateSession(ctx context.Context, sess Session) (Session, error) {
	if sess.UserID == "" || sess.ExpiresAt.IsZero() {
		return Session{}, errors.New("store: session user id and expiry are required")
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
	// Store and return times at the stored precision.
	sess.CreatedAt = fromMillis(millis(sess.CreatedAt))
	sess.ExpiresAt = fromMillis(millis(sess.ExpiresAt))
	sess.RevokedAt = time.Time{}
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO sessions (id, user_id, jti, created_at, expires_at)
		 SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE id = ?)`,
		sess.ID, sess.UserID, sess.JTI, millis(sess.CreatedAt), millis(sess.ExpiresAt), sess.UserID)
	if isConstraint(err) {
		return Session{}, ErrExists
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: create session: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return Session{}, fmt.Errorf("store: create session: %w", err)
	} else if n == 0 {
		return Session{}, fmt.Errorf("store: create session: user %q: %w", sess.UserID, ErrNotFound)
	}
	return sess, nil
}

// Session implements Store.
func (s *SQLite) Session(ctx context.Context, id string) (Session, error) {
	var (
		sess             Session
		created, expires int64
		revoked          sql.NullInt64
	)
	err := s.hot.session.QueryRowContext(ctx, id).Scan(&sess.ID, &sess.UserID, &sess.JTI, &created, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: read session: %w", err)
	}
	sess.CreatedAt, sess.ExpiresAt = fromMillis(created), fromMillis(expires)
	if revoked.Valid {
		sess.RevokedAt = fromMillis(revoked.Int64)
	}
	return sess, nil
}

// RevokeSession implements Store.
func (s *SQLite) RevokeSession(ctx context.Context, id string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: revoke session: %w", err)
	}
	defer tx.Rollback()
	var (
		jti     string
		expires int64
	)
	err = tx.QueryRowContext(ctx,
		`UPDATE sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING jti, expires_at`,
		millis(s.now()), id).Scan(&jti, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: revoke session: %w", err)
	}
	if jti != "" {
		if err := revokeJTI(ctx, tx, jti, expires); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: revoke session: %w", err)
	}
	return nil
}

// RevokeUserSessions implements Store in one transaction.
func (s *SQLite) RevokeUserSessions(ctx context.Context, userID string) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: revoke user sessions: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx,
		`UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL RETURNING jti, expires_at`,
		millis(s.now()), userID)
	if err != nil {
		return 0, fmt.Errorf("store: revoke user sessions: %w", err)
	}
	type tok struct {
		jti     string
		expires int64
	}
	var toks []tok
	n := 0
	for rows.Next() {
		var t tok
		if err := rows.Scan(&t.jti, &t.expires); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: revoke user sessions: %w", err)
		}
		n++
		if t.jti != "" {
			toks = append(toks, t)
		}
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("store: revoke user sessions: %w", err)
	}
	for _, t := range toks {
		if err := revokeJTI(ctx, tx, t.jti, t.expires); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: revoke user sessions: %w", err)
	}
	return n, nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func revokeJTI(ctx context.Context, db execer, jti string, expiresMillis int64) error {
	_, err := db.ExecContext(ctx,
		`INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?)
		 ON CONFLICT (jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
		jti, expiresMillis)
	if err != nil {
		return fmt.Errorf("store: revoke token: %w", err)
	}
	return nil
}

// RevokeJTI implements Store.
func (s *SQLite) RevokeJTI(ctx context.Context, jti string, exp time.Time) error {
	if jti == "" {
		return errors.New("store: empty jti")
	}
	return revokeJTI(ctx, s.db, jti, millis(exp))
}

// IsRevoked implements Store and auth.Revocations.
func (s *SQLite) IsRevoked(ctx context.Context, jti string) (bool, error) {
	var one int
	err := s.hot.revoked.QueryRowContext(ctx, jti).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: revocation check: %w", err)
	}
	return true, nil
}

// DeleteExpired implements Store.
func (s *SQLite) DeleteExpired(ctx context.Context, t time.Time) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: delete expired: %w", err)
	}
	defer tx.Rollback()
	var total int64
	for _, q := range []string{
		`DELETE FROM revoked_tokens WHERE expires_at < ?`,
		`DELETE FROM sessions WHERE expires_at < ?`,
	} {
		res, err := tx.ExecContext(ctx, q, millis(t))
		if err != nil {
			return 0, fmt.Errorf("store: delete expired: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: delete expired: %w", err)
	}
	return total, nil
}

// Ping implements Store.
func (s *SQLite) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close implements Store: it refuses new appends, waits for the writer
// to store the accepted ones (and trim the rooms they touched), then
// closes the database. Calling it again returns the first result.
func (s *SQLite) Close() error {
	s.closeOnce.Do(func() {
		s.writer.close()
		s.hot.close()
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}
