package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/patrol-city/patrol/models/assets"
	"github.com/patrol-city/patrol/testkit/eval"
)

// cmdEval plays the evaluation scenes through the full pipeline and prints
// a table per scene and a final JSON line.
func cmdEval(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	sc := fs.String("scenes", "", "comma-separated scene names (default: every eval-* scene)")
	level := fs.String("log-level", "warn", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f := assets.DefaultFetcher()
	root, err := f.Root(ctx, assets.Testdata())
	if err != nil {
		return err
	}
	cfg := eval.Config{AssetDir: root, Fetcher: f, Logger: newLogger(*level)}
	if *sc != "" {
		cfg.Scenes = strings.Split(*sc, ",")
	}
	rep, err := eval.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if err := rep.Print(os.Stdout); err != nil {
		return err
	}
	if rep.Precision < 1 || rep.Recall < 1 {
		return fmt.Errorf("precision %.3f, recall %.3f", rep.Precision, rep.Recall)
	}
	return nil
}
