package console

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patrol-city/patrol/internal/config"
	"golang.org/x/crypto/bcrypt"
)

// TestNewValidates: New refuses a configuration it cannot serve, naming
// the field.
func TestNewValidates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, c *config.Config)
		want string
	}{
		{"no users file", func(_ *testing.T, c *config.Config) { c.Console.UsersFile = "" }, "console.users_file: required"},
		{"users file missing", func(_ *testing.T, c *config.Config) { c.Console.UsersFile = "/nonexistent/users" }, "console.users_file"},
		{"not bcrypt", func(t *testing.T, c *config.Config) {
			c.Console.UsersFile = file(t, "li:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n")
		}, "not a bcrypt hash"},
		{"no colon", func(t *testing.T, c *config.Config) { c.Console.UsersFile = file(t, "li\n") }, "line 1: want user:bcrypt-hash"},
		{"broken hash", func(t *testing.T, c *config.Config) { c.Console.UsersFile = file(t, "li:$2y$10$short\n") }, "line 1"},
		{"bad user name", func(t *testing.T, c *config.Config) {
			c.Console.UsersFile = file(t, "../li:$2y$04$2R8eQzHlvAuYEKkD9o6Woe8wOE4HT/2mvaNrZm4Dh4D6hTvxkVnPC\n")
		}, "user name"},
		{"empty", func(t *testing.T, c *config.Config) { c.Console.UsersFile = file(t, "# nobody\n") }, "no users"},
		{"unknown role", func(_ *testing.T, c *config.Config) { c.Console.Roles["disp"] = []string{"boss"} }, `unknown role "boss"`},
		{"role of a missing user", func(_ *testing.T, c *config.Config) { c.Console.Roles["ghost"] = []string{"operator"} }, "console.roles.ghost: no such user"},
		{"tls key missing", func(_ *testing.T, c *config.Config) {
			c.Console.TLSCert, c.Console.TLSKey = "/nonexistent.crt", "/nonexistent.key"
		}, "console.tls_cert"},
		{"no brokers", func(_ *testing.T, c *config.Config) { c.Kafka.Brokers = nil }, "kafka.brokers"},
		{"listen not host:port", func(_ *testing.T, c *config.Config) { c.Console.Listen = "8080" }, "console.listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t, "127.0.0.1:1")
			tc.edit(t, cfg)
			s, err := New(cfg, Deps{})
			if err == nil {
				s.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	// The users file works as written by htpasswd -nbB ($2y$ hashes).
	cfg := testConfig(t, "127.0.0.1:1")
	h, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Console.UsersFile = file(t, "li:"+strings.Replace(string(h), "$2a$", "$2y$", 1)+"\n")
	cfg.Console.Roles = nil
	s, err := New(cfg, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if s.Addr() != "" {
		t.Error("New listens")
	}
	if !s.users.check("li", "secret") || s.users.check("li", "wrong") || s.users.check("ghost", "secret") {
		t.Error("htpasswd hash not checked right")
	}
}

func file(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunListenTaken: a console whose address is taken fails in Run,
// naming the address, and leaves nothing running.
func TestRunListenTaken(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	cfg := testConfig(t, "127.0.0.1:1")
	cfg.Console.Listen = ln.Addr().String()
	s, err := New(cfg, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "listen "+cfg.Console.Listen) {
		t.Fatalf("Run = %v, want a listen error naming %s", err, cfg.Console.Listen)
	}
	s.Close()
}
