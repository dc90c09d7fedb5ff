package store

import (
	"errors"
	"log/slog"
	"time"
)

// Options configure [Open] and [OpenPostgres]. The zero value gives the
// defaults.
type Options struct {
	// Now is the clock for created and revoked times; nil means time.Now.
	Now func() time.Time
	// HistoryLimit is how many messages are kept per room (HISTORY_LIMIT);
	// zero means 1000.
	HistoryLimit int
	// HistoryMaxAge drops messages older than this (HISTORY_MAX_AGE); zero
	// keeps them regardless of age.
	HistoryMaxAge time.Duration
	// NotificationLimit is how many notifications TrimNotifications keeps
	// per user, the newest (NOTIFICATION_LIMIT); zero means 1000.
	NotificationLimit int
	// NotificationRetention makes TrimNotifications drop notifications
	// older than this (NOTIFICATION_RETENTION); zero keeps them regardless
	// of age.
	NotificationRetention time.Duration
	// Log receives failures of background work (history trimming) that no
	// caller could be told about; nil discards them.
	Log *slog.Logger
}

// defaultHistoryLimit is Options.HistoryLimit's zero-value default, and
// defaultNotificationLimit Options.NotificationLimit's.
const (
	defaultHistoryLimit      = 1000
	defaultNotificationLimit = 1000
)

// settings are Options checked, with their defaults applied. Both stores
// embed them.
type settings struct {
	now           func() time.Time
	log           *slog.Logger
	historyLimit  int
	historyMaxAge time.Duration
	notifLimit    int
	notifMaxAge   time.Duration
}

// settings checks o and applies its defaults. Open and OpenPostgres call
// it before they touch a database.
func (o Options) settings() (settings, error) {
	if o.HistoryLimit < 0 || o.HistoryMaxAge < 0 || o.NotificationLimit < 0 || o.NotificationRetention < 0 {
		return settings{}, errors.New("store: negative history or notification limit or age")
	}
	st := settings{now: o.Now, log: o.Log, historyLimit: o.HistoryLimit, historyMaxAge: o.HistoryMaxAge,
		notifLimit: o.NotificationLimit, notifMaxAge: o.NotificationRetention}
	if st.now == nil {
		st.now = time.Now
	}
	if st.historyLimit == 0 {
		st.historyLimit = defaultHistoryLimit
	}
	if st.notifLimit == 0 {
		st.notifLimit = defaultNotificationLimit
	}
	if st.log == nil {
		st.log = slog.New(slog.DiscardHandler)
	}
	return st, nil
}
