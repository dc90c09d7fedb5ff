package config_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"rtserver/internal/config"
)

func TestLoadOrCreateSecret(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	s1, created, err := config.LoadOrCreateSecret(dir)
	if err != nil || !created || len(s1) < config.MinSecretLen {
		t.Fatalf("first: %d bytes, created %v, %v", len(s1), created, err)
	}
	st, err := os.Stat(filepath.Join(dir, config.SecretFileName))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
	s2, created, err := config.LoadOrCreateSecret(dir)
	if err != nil || created || !bytes.Equal(s1, s2) {
		t.Fatalf("second: created %v, same %v, %v", created, bytes.Equal(s1, s2), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("leftover files: %v", entries)
	}

	c := config.Default()
	c.DataDir = dir
	s3, generated, err := c.ResolveSecret()
	if err != nil || generated || !bytes.Equal(s1, s3) {
		t.Fatalf("ResolveSecret: %v %v", generated, err)
	}
	c.JWTSecret = "explicit-secret-explicit-secret-0"
	s4, generated, err := c.ResolveSecret()
	if err != nil || generated || string(s4) != "explicit-secret-explicit-secret-0" {
		t.Fatalf("ResolveSecret explicit: %v %v", generated, err)
	}
}

func TestLoadOrCreateSecretConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		secrets [][]byte
		creates int
	)
	for range 8 {
		wg.Go(func() {
			s, created, err := config.LoadOrCreateSecret(dir)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			secrets = append(secrets, s)
			if created {
				creates++
			}
		})
	}
	wg.Wait()
	if creates != 1 {
		t.Fatalf("%d creators; want 1", creates)
	}
	for _, s := range secrets {
		if !bytes.Equal(s, secrets[0]) {
			t.Fatal("processes disagree on the secret")
		}
	}
}

func TestLoadOrCreateSecretRefuses(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		content string
		mode    os.FileMode
	}{
		"empty":     {"", 0o600},
		"corrupt":   {"!!not base64!!", 0o600},
		"too short": {"c2hvcnQ", 0o600},
	}
	if runtime.GOOS != "windows" {
		cases["world readable"] = struct {
			content string
			mode    os.FileMode
		}{"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVm", 0o644}
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, config.SecretFileName)
			if err := os.WriteFile(path, []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			if _, _, err := config.LoadOrCreateSecret(dir); err == nil {
				t.Fatal("accepted")
			}
			// The file is left alone for the operator.
			got, _ := os.ReadFile(path)
			if string(got) != tc.content {
				t.Fatal("file replaced")
			}
		})
	}
}
