package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/kafka/registry"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/worker/cluster"
)

const camerasUsage = `usage: patrol cameras <apply|list|get> -config worker.yaml [flags]

  apply -f cameras.yaml [-prune]   make the registry hold the file's cameras
  list                              the cameras of the registry
  get ID                            one camera's record (JSON)
`

// registryTimeout bounds reading the registry to its end.
const registryTimeout = 30 * time.Second

func cmdCameras(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, camerasUsage)
		return flag.ErrHelp
	}
	fs := flag.NewFlagSet("cameras "+args[0], flag.ContinueOnError)
	cfgPath := fs.String("config", "patrol.yaml", "worker configuration (kafka, rules, cluster)")
	file := fs.String("f", "", "apply: file with a cameras: list in the worker-configuration format")
	prune := fs.Bool("prune", false, "apply: delete the registry's cameras that the file does not list")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	var cams []config.Camera
	if args[0] == "apply" {
		// The file is checked before Kafka is asked anything.
		if cams, err = readCameras(cfg, *file); err != nil {
			return err
		}
	}
	log := newLogger("warn")
	reg, err := kafka.OpenTable(ctx, cfg, kafka.RegistryTopic(cfg), kafka.TableOptions{Timeout: registryTimeout, Logger: log})
	if err != nil {
		return fmt.Errorf("registry %s: %w", cfg.Cluster.RegistryTopic, err)
	}
	defer reg.Close()
	switch args[0] {
	case "apply":
		return camerasApply(ctx, cfg, reg, cams, *prune)
	case "list":
		return camerasList(ctx, cfg, reg)
	case "get":
		if fs.NArg() != 1 {
			return errors.New("get: need one camera id")
		}
		e, ok := reg.Get(fs.Arg(0))
		if !ok {
			return fmt.Errorf("camera %q is not in the registry", fs.Arg(0))
		}
		cam, err := registry.Decode(e.Key, e.Value)
		if err != nil {
			return err
		}
		out, _ := json.MarshalIndent(cam, "", "  ")
		fmt.Println(string(out))
		return nil
	}
	fmt.Fprint(os.Stderr, camerasUsage)
	return fmt.Errorf("unknown cameras command %q", args[0])
}

// readCameras reads and validates the cameras file of apply against the
// worker configuration's rules.
func readCameras(cfg *config.Config, file string) ([]config.Camera, error) {
	if file == "" {
		return nil, errors.New("apply: -f cameras.yaml required")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	cams, err := config.ParseCameras(raw, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(cams) == 0 {
		return nil, fmt.Errorf("%s: cameras: need at least one camera (to delete them all, use the registry's tools)", file)
	}
	if err := cfg.ValidateCameras(cams); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, cam := range cams {
		if err := cfg.CheckRegistryCamera(cam); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	return cams, nil
}

func camerasApply(ctx context.Context, cfg *config.Config, reg *kafka.Table, cams []config.Camera, prune bool) error {
	sec, err := kafka.SecurityFor(cfg.Kafka)
	if err != nil {
		return err
	}
	w, err := broker.NewWriter(broker.WriterConfig{Brokers: cfg.Kafka.Brokers, Topic: cfg.Cluster.RegistryTopic, Security: sec})
	if err != nil {
		return err
	}
	defer w.Close()
	wctx, cancel := context.WithTimeout(ctx, registryTimeout)
	defer cancel()
	ch, err := registry.Apply(wctx, reg, w, cams, prune)
	for _, l := range []struct {
		what string
		ids  []string
	}{{"created", ch.Created}, {"updated", ch.Updated}, {"unchanged", ch.Unchanged}, {"deleted", ch.Deleted}} {
		if len(l.ids) > 0 {
			fmt.Printf("%-9s %d: %s\n", l.what, len(l.ids), strings.Join(l.ids, ", "))
		}
	}
	return err
}

// camerasList prints the registry with each camera's worker as the
// fleet places it (cluster.Place over the group's live members, as every
// worker computes it): "unplaced" when no worker has room or offers its labels, "-" when no
// worker is in the group, "?" when the group cannot be described.
func camerasList(ctx context.Context, cfg *config.Config, reg *kafka.Table) error {
	all := reg.All()
	keys, needs := registry.Placement(all)
	owner := func(string) string { return "?" }
	sec, err := kafka.SecurityFor(cfg.Kafka)
	if err == nil {
		var members []cluster.MemberInfo
		members, _, err = cluster.Describe(ctx, cluster.NewClient(cfg.Kafka.Brokers, sec.Dialer()), cfg.Cluster.Group)
		if err == nil {
			pl := cluster.PlaceLabelled(members, keys, needs)
			owner = func(id string) string {
				switch {
				case len(members) == 0:
					return "-"
				case pl.Owner[id] != "":
					return pl.Owner[id]
				}
				return "unplaced"
			}
			if len(members) > 0 && len(pl.Unplaced) > 0 {
				fmt.Fprintf(os.Stderr, "%d cameras unplaced: no worker of %s has room (cluster.max_cameras) or offers their labels (requires)\n", len(pl.Unplaced), cfg.Cluster.Group)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "workers unknown: %v\n", err)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tZONES\tPARTITION\tWORKER\tURL")
	for _, e := range all {
		cam, err := registry.Decode(e.Key, e.Value)
		if err != nil {
			fmt.Fprintf(tw, "%s\t(bad record: %v)\t\t%d\t%s\t\n", e.Key, err, e.Partition, owner(e.Key))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", cam.ID, cam.Name, len(cam.Zones), e.Partition, owner(cam.ID), config.Redact(cam.URL))
	}
	return tw.Flush()
}
