package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/console"
	"github.com/patrol-city/patrol/internal/kafka"
)

// cmdConsole runs the web console (docs/console.md) with the shared
// configuration: its console section, and the kafka, evidence, cluster
// and rules sections the workers use.
func cmdConsole(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	cfgPath := fs.String("config", "patrol.yaml", "configuration file (the workers' file with a console: section)")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	hash := fs.Bool("hash-password", false, "read a password from standard input and print its bcrypt hash for console.users_file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *hash {
		return hashPassword()
	}
	log := newLogger(*level)
	cfg, err := config.LoadConsole(*cfgPath)
	if err != nil {
		return err
	}
	sec, err := kafka.SecurityFor(cfg.Kafka)
	if err != nil {
		return err
	}
	srv, err := console.New(cfg, console.Deps{Logger: log, Security: sec})
	if err != nil {
		return err
	}
	defer srv.Close()
	log.Info("console starting", "listen", cfg.Console.Listen, "brokers", strings.Join(cfg.Kafka.Brokers, ","),
		"cases", cfg.Kafka.CasesTopic, "verdicts", cfg.Console.VerdictsTopic)
	return srv.Run(ctx)
}

// hashPassword prints the bcrypt hash of the first line of standard input.
func hashPassword() error {
	fmt.Fprintln(os.Stderr, "password (one line):")
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return errors.New("no password on standard input")
	}
	h, err := console.HashPassword(strings.TrimRight(line, "\r\n"))
	if err != nil {
		return err
	}
	fmt.Println(h)
	return nil
}
