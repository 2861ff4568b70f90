package console

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/patrol-city/patrol/internal/config"
)

// ErrConfig is wrapped by the errors of New about the configuration.
var ErrConfig = errors.New("console: invalid configuration")

// users are the accounts of console.users_file: "user:bcrypt-hash" lines
// (htpasswd -nbB output; blank lines and lines starting with # are
// skipped). The file is read again when it changes (checked at each
// login), so accounts are added or removed without a restart; a file
// that no longer parses keeps the accounts read before (and is logged).
type users struct {
	path string

	mu     sync.Mutex
	hashes map[string][]byte
	mod    time.Time
	size   int64
	// dummy is compared against for unknown users, so that a login takes
	// as long whether or not the user exists: a hash of the highest cost
	// in the file.
	dummy []byte
}

// loadUsers reads path; every line must be a valid account.
func loadUsers(path string) (*users, error) {
	u := &users{path: path}
	if err := u.reload(); err != nil {
		return nil, err
	}
	return u, nil
}

// reload reads the file when its size or modification time changed.
func (u *users) reload() error {
	st, err := os.Stat(u.path)
	if err != nil {
		return fmt.Errorf("%w: console.users_file: %w", ErrConfig, err)
	}
	u.mu.Lock()
	same := u.hashes != nil && st.ModTime().Equal(u.mod) && st.Size() == u.size
	u.mu.Unlock()
	if same {
		return nil
	}
	raw, err := os.ReadFile(u.path)
	if err != nil {
		return fmt.Errorf("%w: console.users_file: %w", ErrConfig, err)
	}
	hashes, err := parseUsers(raw)
	if err != nil {
		return fmt.Errorf("%w: console.users_file %s: %w", ErrConfig, u.path, err)
	}
	cost := bcrypt.MinCost
	for _, h := range hashes {
		c, _ := bcrypt.Cost(h)
		cost = max(cost, c)
	}
	u.mu.Lock()
	dummy := u.dummy
	u.mu.Unlock()
	if c, err := bcrypt.Cost(dummy); err != nil || c != cost {
		if dummy, err = bcrypt.GenerateFromPassword([]byte(token()), cost); err != nil {
			return fmt.Errorf("console: %w", err)
		}
	}
	u.mu.Lock()
	u.hashes, u.mod, u.size, u.dummy = hashes, st.ModTime(), st.Size(), dummy
	u.mu.Unlock()
	return nil
}

// parseUsers checks every line: a valid user name (the id pattern of
// config.CheckID, so it fits a verdict's user field) and a bcrypt hash
// ($2a$, $2b$ or $2y$, cost 4..31).
func parseUsers(raw []byte) (map[string][]byte, error) {
	out := map[string][]byte{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hash, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: want user:bcrypt-hash", n)
		}
		if err := config.CheckID(name); err != nil {
			return nil, fmt.Errorf("line %d: user name: %w", n, err)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("line %d: user %q listed twice", n, name)
		}
		if !strings.HasPrefix(hash, "$2a$") && !strings.HasPrefix(hash, "$2b$") && !strings.HasPrefix(hash, "$2y$") {
			return nil, fmt.Errorf("line %d: user %q: not a bcrypt hash ($2a$, $2b$ or $2y$; make one with htpasswd -nbB or patrol console -hash-password)", n, name)
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, fmt.Errorf("line %d: user %q: %w", n, name, err)
		}
		out[name] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no users")
	}
	return out, nil
}

// has reports whether user has an account.
func (u *users) has(user string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	_, ok := u.hashes[user]
	return ok
}

// check reports whether password is user's. It always runs one bcrypt
// comparison (against a dummy hash for an unknown user).
func (u *users) check(user, password string) bool {
	u.mu.Lock()
	h, ok := u.hashes[user]
	if !ok {
		h = u.dummy
	}
	u.mu.Unlock()
	match := bcrypt.CompareHashAndPassword(h, []byte(password)) == nil
	return ok && match
}

// HashPassword returns the bcrypt hash (cost 12) of password for a line
// "user:hash" of console.users_file.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("console: empty password")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), 12)
	if err != nil {
		return "", fmt.Errorf("console: %w", err)
	}
	return string(h), nil
}

// checkRoles checks that every user given roles has an account and that
// every role is known.
func checkRoles(cc config.Console, u *users) error {
	var errs []error
	for user, roles := range cc.Roles {
		if !u.has(user) {
			errs = append(errs, fmt.Errorf("console.roles.%s: no such user in users_file", user))
		}
		for i, r := range roles {
			if r != config.RoleDispatcher && r != config.RoleOperator && r != config.RoleAdmin {
				errs = append(errs, fmt.Errorf("console.roles.%s[%d]: unknown role %q (dispatcher, operator or admin)", user, i, r))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}
