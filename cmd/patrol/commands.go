package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/testkit/demo"
	"github.com/patrol-city/patrol/internal/testkit/scenes"
	"github.com/patrol-city/patrol/internal/testkit/sim"
	"github.com/patrol-city/patrol/internal/worker"
	"github.com/patrol-city/patrol/models"
	"github.com/patrol-city/patrol/models/assets"
)

func cmdRun(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	cfgPath := fs.String("config", "patrol.yaml", "configuration file (see deploy/patrol.example.yaml)")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(*level)
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	w, err := worker.New(cfg, worker.Deps{Logger: log})
	if err != nil {
		return err
	}
	if cfg.Cluster.Enabled {
		log.Info("fleet worker running; cameras come from the registry", "worker", cfg.Worker, "group", cfg.Cluster.Group, "registry", cfg.Cluster.RegistryTopic)
	} else {
		log.Info("worker running", "worker", cfg.Worker, "cameras", len(cfg.Cameras))
	}
	return w.Run(ctx)
}

func cmdDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	dur := fs.Duration("duration", 0, "stop after this long (default: run until Ctrl-C)")
	data := fs.String("data", filepath.Join(os.TempDir(), "patrol-demo"), "directory for evidence/ and cases.jsonl")
	dwell := fs.Duration("min-dwell", 20*time.Second, "min_dwell of the demo's illegal-parking rule")
	consoleAddr := fs.String("console", "127.0.0.1:8080", "address of the demo's console (patrol console)")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(*level)
	fmt.Printf("patrol demo: evidence and cases.jsonl go to %s; Ctrl-C stops.\n", *data)
	return demo.Run(ctx, demo.Config{DataDir: *data, Duration: *dur, MinDwell: *dwell, ConsoleListen: *consoleAddr}, log)
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func cmdSim(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8554", "RTSP listen address")
	codec := fs.String("codec", "h264", "codec of encoded streams: h264 or h265")
	gop := fs.Int("gop", 0, "key-frame interval in frames for re-encoded files (default: 1 s)")
	truth := fs.String("truth", "", "directory to write each scene's ground truth (<scene>.truth.json)")
	user := fs.String("user", "", "require this user name (with -password)")
	pass := fs.String("password", "", "require this password (with -user)")
	var sceneArgs, fileArgs listFlag
	fs.Var(&sceneArgs, "scene", "scene name (embedded: "+strings.Join(scenes.Names(), ", ")+") or YAML file; repeatable; path = scene name")
	fs.Var(&fileArgs, "file", "video file, looped; repeatable; path = file name without extension")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(*level)
	if len(sceneArgs)+len(fileArgs) == 0 {
		return errors.New("give at least one -scene or -file")
	}
	c := media.Codec(*codec)
	if !c.Valid() {
		return fmt.Errorf("-codec %q: %w", *codec, media.ErrUnsupportedCodec)
	}
	srv, err := sim.NewServer(sim.ServerConfig{Address: *listen, User: *user, Password: *pass}, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	var root string
	if len(sceneArgs) > 0 {
		if root, err = assets.DefaultFetcher().Root(ctx, assets.Testdata()); err != nil {
			return err
		}
	}
	for _, s := range sceneArgs {
		var sc *sim.Scene
		if strings.HasSuffix(s, ".yaml") || strings.HasSuffix(s, ".yml") {
			sc, err = sim.LoadScene(s)
		} else {
			sc, err = scenes.Load(s)
		}
		if err != nil {
			return err
		}
		st, err := sim.SceneStream(sc, root, c)
		if err != nil {
			return err
		}
		if err := srv.Add(sc.Name, st); err != nil {
			return err
		}
		if *truth != "" {
			if err := sc.Truth().WriteFile(filepath.Join(*truth, sc.Name+".truth.json")); err != nil {
				return err
			}
		}
		fmt.Printf("serving scene %s at %s\n", sc.Name, srv.URL(sc.Name))
	}
	for _, f := range fileArgs {
		st, err := sim.FileStream(f, sim.FileOptions{GOP: *gop, Codec: c})
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		if err := srv.Add(name, st); err != nil {
			return err
		}
		fmt.Printf("serving file %s at %s\n", f, srv.URL(name))
	}
	<-ctx.Done()
	return nil
}

func cmdModels(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: patrol models pull [name ...] | list (pull without names: every model the default configuration runs)")
	}
	switch args[0] {
	case "list":
		all, err := models.All()
		if err != nil {
			return err
		}
		for name, m := range all {
			from := m.File.URL
			if m.Archive != nil {
				from = m.Archive.URL + " (" + m.NameInArchive + ")"
			}
			fmt.Printf("%s\t%s\t%d bytes\t%s\t%s\n", name, m.File.SHA256, m.File.Size, m.File.License, from)
		}
		return nil
	case "pull":
		names := args[1:]
		if len(names) == 0 {
			// What the default configuration runs: the detector, the
			// plate reader and the face detector of the redacted copies.
			names = []string{"yolox_nano", models.PPOCRDet, models.PPOCRRec, models.YuNet}
		}
		f := assets.DefaultFetcher()
		for _, n := range names {
			p, _, err := models.Pull(ctx, f, n)
			if err != nil {
				return err
			}
			fmt.Printf("%s: %s (sha256 verified)\n", n, p)
		}
		lib, rt, err := models.PullRuntime(ctx, f, models.ONNXRuntime)
		if err != nil {
			return err
		}
		fmt.Printf("%s %s: %s (sha256 verified)\n", rt.Name, rt.Version, lib)
		root, err := f.Root(ctx, assets.Testdata())
		if err != nil {
			return err
		}
		fmt.Printf("demo imagery: %s/testdata (sha256 verified)\n", root)
		return nil
	}
	return fmt.Errorf("unknown models command %q (pull or list)", args[0])
}
