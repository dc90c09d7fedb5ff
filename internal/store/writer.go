package store

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Message appends of both stores go through one appendWriter each: a
// queue and a single writer goroutine (loop), started by Open or
// OpenPostgres and stopped by Close. Invariants: only loop writes the
// messages table (from this process); it answers every request it
// receives exactly once; it exits only after close closed appends and the
// queue is drained.

const (
	// appendQueue is how many appends may wait for the writer. A full
	// queue makes AppendMessage wait, bounded by its ctx.
	appendQueue = 1024
	// maxBatch caps the appends written in one transaction, so that the
	// latency of one commit stays bounded.
	maxBatch = 512
	// trimEvery is how long trimming may be postponed while appends keep
	// arriving (trimWhenDrained), or how often the writer trims
	// (trimOnCadence).
	trimEvery = 100 * time.Millisecond
	// trimRooms caps the rooms trimmed in one transaction, so that a
	// burst over many rooms does not hold up the next batch for long.
	trimRooms = 256
	// ageChunk caps the messages deleted for age in one transaction; the
	// rest go in later passes (History hides them meanwhile).
	ageChunk = 1000
	// closeTrimTimeout bounds the trimming the writer finishes on close
	// while another node holds the trim (errTrimBusy).
	closeTrimTimeout = 30 * time.Second
)

// messageBackend is what the writer needs of a store. The writer calls
// both methods from its goroutine only, one at a time.
type messageBackend interface {
	// insertMessages inserts the requests of batch whose errs entry is
	// nil, in batch order, and commits. It sets errs[i] to ErrExists for
	// an id stored already or requested earlier in the batch (the first
	// request for an id is the one stored). An error it returns fails
	// every request still unanswered.
	insertMessages(batch []*appendReq, errs []error) error
	// trim applies retention in one transaction: up to trimRooms rooms of
	// dirty keep their newest historyLimit messages and leave dirty, and,
	// with a max age, up to ageChunk messages older than it go. It
	// returns errTrimBusy, leaving dirty as it was, when another node is
	// trimming.
	trim(dirty map[string]struct{}) error
}

// trimPolicy is when the writer applies retention between batches.
// Either way retention follows the answers of the batches it trims, so
// it never delays an answer already due, and History hides what awaits
// trimming.
type trimPolicy int

const (
	// trimWhenDrained trims after a batch when the queue is empty, and at
	// least every trimEvery under sustained load (SQLite: a trim is a
	// local index walk, and the queue empties between bursts).
	trimWhenDrained trimPolicy = iota
	// trimOnCadence trims every trimEvery while rooms are dirty
	// (PostgreSQL: with a network round trip per batch, every caller is
	// waiting for its answer after a batch, so the queue is nearly always
	// empty, and trimming after every batch, an index walk of
	// HistoryLimit rows per room, cut throughput by three quarters).
	trimOnCadence
)

// errTrimBusy is trim's error when another node is trimming. It is no
// failure: the rooms stay dirty for the next pass.
var errTrimBusy = errors.New("store: another node is trimming")

// appendReq is one AppendMessage waiting for the writer.
type appendReq struct {
	ctx context.Context
	m   Message
	// done is buffered so that the writer never waits for a caller that
	// gave up.
	done chan error
}

// appendWriter is the append queue and single writer of one store.
type appendWriter struct {
	db     messageBackend
	now    func() time.Time
	log    *slog.Logger
	policy trimPolicy

	// appends feeds loop. Senders hold closeMu read-locked while
	// sending, so that close, which sets closed and closes appends under
	// the write lock, never races a send.
	appends chan *appendReq
	closeMu sync.RWMutex
	closed  bool
	// done is closed when loop returns.
	done chan struct{}
}

// startWriter starts the writer goroutine of db, which close stops. now
// stamps messages with a zero TS; log receives the trim failures no
// caller could be told about.
func startWriter(db messageBackend, now func() time.Time, log *slog.Logger, policy trimPolicy) *appendWriter {
	w := newWriter(db, now, log, policy)
	go w.loop()
	return w
}

// newWriter returns a writer whose goroutine is not started (tests call
// writeBatch on it directly).
func newWriter(db messageBackend, now func() time.Time, log *slog.Logger, policy trimPolicy) *appendWriter {
	return &appendWriter{
		db: db, now: now, log: log, policy: policy,
		appends: make(chan *appendReq, appendQueue),
		done:    make(chan struct{}),
	}
}

// append queues m, whose fields the store checked, and waits for the
// batch that stores it to commit. A zero TS becomes now. When ctx ends
// first it returns ctx's error and m may or may not be stored. After
// close it returns ErrClosed.
func (w *appendWriter) append(ctx context.Context, m Message) error {
	if m.TS.IsZero() {
		m.TS = w.now()
	}
	r := &appendReq{ctx: ctx, m: m, done: make(chan error, 1)}
	if err := w.enqueue(ctx, r); err != nil {
		return err
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// enqueue hands r to the writer. It holds closeMu read-locked while it
// waits for room in the queue, so that close cannot close the queue under
// it; the writer keeps draining meanwhile, so close waits at most for the
// queue to move.
func (w *appendWriter) enqueue(ctx context.Context, r *appendReq) error {
	w.closeMu.RLock()
	defer w.closeMu.RUnlock()
	if w.closed {
		return ErrClosed
	}
	select {
	case w.appends <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close refuses new appends and waits for the writer to store the
// accepted ones, finish trimming and exit. Call it once.
func (w *appendWriter) close() {
	w.closeMu.Lock()
	w.closed = true
	close(w.appends)
	w.closeMu.Unlock()
	<-w.done
}

// loop is the single writer: it takes whatever appends are queued (up to
// maxBatch), stores them in one transaction, answers each, and trims the
// rooms they touched as its policy says, between batches.
func (w *appendWriter) loop() {
	defer close(w.done)
	var (
		batch    = make([]*appendReq, 0, maxBatch)
		dirty    = make(map[string]struct{})
		lastTrim = time.Now()
		// timer (trimOnCadence) fires trimEvery after the last trim. A
		// tick that comes while nothing is dirty waits in the channel:
		// the first batch that dirties a room is then trimmed right
		// after it.
		timer = time.NewTimer(trimEvery)
	)
	defer timer.Stop()
	for {
		var due <-chan time.Time
		if w.policy == trimOnCadence && len(dirty) > 0 {
			due = timer.C
		}
		select {
		case r, ok := <-w.appends:
			if !ok {
				// Closed: finish the trimming the last batches left, so
				// that a closed store is within its retention limits.
				w.trimAll(dirty)
				return
			}
			batch = w.fill(append(batch[:0], r))
			w.writeBatch(batch, dirty)
			clear(batch) // let the requests be collected
			if w.policy == trimWhenDrained && len(dirty) > 0 &&
				(len(w.appends) == 0 || time.Since(lastTrim) >= trimEvery) {
				w.trimLogged(dirty)
				lastTrim = time.Now()
			}
		case <-due:
			// Under load both cases are ready and select picks one at
			// random, so a due trim waits for a batch or two at most.
			w.trimLogged(dirty)
			timer.Reset(trimEvery)
		}
	}
}

// fill adds to batch the appends queued now, up to maxBatch in all.
func (w *appendWriter) fill(batch []*appendReq) []*appendReq {
	for len(batch) < maxBatch {
		select {
		case r, ok := <-w.appends:
			if !ok {
				return batch
			}
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// writeBatch stores batch, answers every request and adds the rooms it
// stored messages in to dirty. A request whose ctx has ended is answered
// with ctx's error and not stored; a duplicate id fails only its own
// request; any other failure fails the whole batch.
func (w *appendWriter) writeBatch(batch []*appendReq, dirty map[string]struct{}) {
	errs := make([]error, len(batch))
	live := 0
	for i, r := range batch {
		if errs[i] = r.ctx.Err(); errs[i] == nil {
			live++
		}
	}
	if live > 0 {
		if err := w.db.insertMessages(batch, errs); err != nil {
			for i := range errs {
				if errs[i] == nil {
					errs[i] = err
				}
			}
		}
	}
	for i, r := range batch {
		r.done <- errs[i]
		if errs[i] == nil {
			dirty[r.m.Room] = struct{}{}
		}
	}
}

// trimLogged runs one trim, logging a failure (the rooms stay dirty and
// are tried again at the next trim). Finding another node trimming is no
// failure.
func (w *appendWriter) trimLogged(dirty map[string]struct{}) {
	if err := w.db.trim(dirty); err != nil && !errors.Is(err, errTrimBusy) {
		w.log.Error("store: trim history", "err", err, "rooms", len(dirty))
	}
}

// trimAll trims until nothing is dirty, waiting for other nodes' trims,
// and gives up on a failure or after closeTrimTimeout.
func (w *appendWriter) trimAll(dirty map[string]struct{}) {
	deadline := time.Now().Add(closeTrimTimeout)
	for len(dirty) > 0 {
		switch err := w.db.trim(dirty); {
		case errors.Is(err, errTrimBusy) && time.Now().Before(deadline):
			time.Sleep(10 * time.Millisecond)
		case err != nil:
			w.log.Error("store: trim history on close", "err", err, "rooms", len(dirty))
			return
		}
	}
}
