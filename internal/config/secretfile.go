package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// SecretFileName is the file in DATA_DIR holding the generated JWT secret.
const SecretFileName = "jwt_secret"

// generatedSecretLen is the size in bytes of a generated secret.
const generatedSecretLen = 48

// LoadOrCreateSecret returns the JWT secret kept in dataDir, creating
// dataDir (0700) and a new random secret (0600) on first use; created
// reports that, so that the caller can log it. The file holds the secret
// base64url encoded; the decoded bytes are the secret.
//
// It refuses a file readable by group or others, an empty or corrupt one,
// or one decoding to fewer than 32 bytes, rather than replacing it: a new
// secret would silently invalidate every token. Two processes starting at
// once agree on one secret: the file is published with a hard link, which
// fails if it exists.
func LoadOrCreateSecret(dataDir string) (secret []byte, created bool, err error) {
	path := filepath.Join(dataDir, SecretFileName)
	secret, err = readSecretFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return secret, false, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, false, fmt.Errorf("DATA_DIR: %w", err)
	}
	raw := make([]byte, generatedSecretLen)
	if _, err := rand.Read(raw); err != nil {
		return nil, false, err
	}
	tmp, err := os.CreateTemp(dataDir, ".jwt_secret-*")
	if err != nil {
		return nil, false, fmt.Errorf("DATA_DIR: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return nil, false, err
	}
	_, err = tmp.WriteString(base64.RawURLEncoding.EncodeToString(raw) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, fmt.Errorf("DATA_DIR: write secret: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process won the race: use its secret.
			secret, err := readSecretFile(path)
			return secret, false, err
		}
		return nil, false, fmt.Errorf("DATA_DIR: publish secret: %w", err)
	}
	return raw, true, nil
}

// readSecretFile reads and checks a secret file.
func readSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("DATA_DIR: %s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("DATA_DIR: %s has mode %#o; want 0600 (chmod 600 it)", path, st.Mode().Perm())
	}
	buf := make([]byte, 1024)
	n, err := f.Read(buf)
	if err != nil && n == 0 {
		return nil, fmt.Errorf("DATA_DIR: %s is empty", path)
	}
	secret, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(string(buf[:n])))
	if err != nil {
		return nil, fmt.Errorf("DATA_DIR: %s is not a base64url secret", path)
	}
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("DATA_DIR: %s holds %d bytes; want at least %d", path, len(secret), MinSecretLen)
	}
	return secret, nil
}
