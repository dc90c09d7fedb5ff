package store

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Checks of the fields every store requires, made before a store adds
// its own (PostgreSQL refuses text it cannot store, see pgText).

// checkMessage checks a message given to AppendMessage.
func checkMessage(m Message) error {
	if m.ID == "" || m.Room == "" {
		return errors.New("store: message id and room are required")
	}
	return nil
}

// checkNotification checks one notification given to AddNotifications.
func checkNotification(n Notification) error {
	if n.ID == "" || n.UserID == "" {
		return errors.New("store: notification id and user id are required")
	}
	if len(n.Data) > 0 && !json.Valid(n.Data) {
		return fmt.Errorf("store: notification %q: data is not valid JSON", n.ID)
	}
	return nil
}
