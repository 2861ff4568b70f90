package demo

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/console"
	"github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/kafka/registry"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
)

// demoUser is the console user the demo creates (an admin: dispatcher and
// operator); its password is new at every start and printed.
const demoUser = "demo"

// register writes the demo camera to the registry the demo worker follows
// (the console's zone editor saves there too).
func register(ctx context.Context, cfg *config.Config, cam config.Camera) error {
	reg, err := kafka.OpenTable(ctx, cfg, kafka.RegistryTopic(cfg), kafka.TableOptions{})
	if err != nil {
		return fmt.Errorf("demo: registry: %w", err)
	}
	defer reg.Close()
	w, err := broker.NewWriter(broker.WriterConfig{Brokers: cfg.Kafka.Brokers, Topic: cfg.Cluster.RegistryTopic})
	if err != nil {
		return err
	}
	defer w.Close()
	if err := cfg.ValidateCameras([]config.Camera{cam}); err != nil {
		return err
	}
	_, err = registry.Apply(ctx, reg, w, []config.Camera{cam}, true)
	return err
}

// startConsole writes a users file with a fresh password for demoUser and
// builds the console over the demo's Kafka and evidence directory; the
// owner of the camera is the demo worker at metricsAddr.
func startConsole(cfg *config.Config, listen, metricsAddr string, store *evidence.Dir, log *slog.Logger) (*console.Server, string, error) {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, "", err
	}
	pass := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	hash, err := console.HashPassword(pass)
	if err != nil {
		return nil, "", err
	}
	users := filepath.Join(cfg.DataDir, "console-users")
	if err := os.WriteFile(users, []byte(demoUser+":"+hash+"\n"), 0o600); err != nil {
		return nil, "", fmt.Errorf("demo: %w", err)
	}
	cc := *cfg
	cc.Console.Listen = listen
	cc.Console.UsersFile = users
	cc.Console.Roles = map[string][]string{demoUser: {config.RoleAdmin}}
	cc.Console.WorkerURL = "http://" + metricsAddr
	srv, err := console.New(&cc, console.Deps{Logger: log, Evidence: store})
	if err != nil {
		return nil, "", fmt.Errorf("demo: console: %w", err)
	}
	return srv, pass, nil
}
