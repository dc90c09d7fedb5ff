package store

import (
	"context"
	"errors"
	"fmt"

	"rtserver/internal/identity/auth"
)

// DemoUser is one of the users SeedDemo creates.
type DemoUser struct {
	ID, Password, Name string
	Teams, Roles       []string
}

// DemoUsers returns the demo accounts: alice and bob in team red, carol
// in team blue, admin with role admin; each password is "<id>-pass" and
// each id is the username.
func DemoUsers() []DemoUser {
	return []DemoUser{
		{ID: "alice", Password: "alice-pass", Name: "Alice", Teams: []string{"red"}},
		{ID: "bob", Password: "bob-pass", Name: "Bob", Teams: []string{"red"}},
		{ID: "carol", Password: "carol-pass", Name: "Carol", Teams: []string{"blue"}},
		{ID: "admin", Password: "admin-pass", Name: "Admin", Roles: []string{"admin"}},
	}
}

// SeedDemo adds DemoUsers to st when it has no users at all, and reports
// whether it did; a store with any user is left alone. Demo users are for
// DEMO=1 only: their passwords are public.
func SeedDemo(ctx context.Context, st Store) (seeded bool, err error) {
	users, err := st.ListUsers(ctx)
	if err != nil {
		return false, err
	}
	if len(users) > 0 {
		return false, nil
	}
	for _, d := range DemoUsers() {
		hash, err := auth.HashPassword(d.Password)
		if err != nil {
			return false, err
		}
		err = st.CreateUser(ctx, User{ID: d.ID, Username: d.ID, DisplayName: d.Name, PasswordHash: hash, Teams: d.Teams, Roles: d.Roles})
		if err != nil && !errors.Is(err, ErrExists) { // ErrExists: a concurrent seeder
			return false, fmt.Errorf("store: seed %s: %w", d.ID, err)
		}
	}
	return true, nil
}
