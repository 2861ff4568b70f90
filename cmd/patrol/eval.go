package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/testkit/eval"
	"github.com/patrol-city/patrol/models/assets"
)

// cmdEval plays the evaluation scenes through the full pipeline and prints
// a table per scene and a final JSON line.
func cmdEval(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	sc := fs.String("scenes", "", "comma-separated scene names (default: every scene of the suite)")
	suite := fs.String("suite", eval.SuiteComposited, "composited (eval-* scenes) or real (real-*: real street clips)")
	level := fs.String("log-level", "warn", "debug, info, warn or error")
	live := fs.Bool("live", false, "play the scenes over RTSP in real time through one worker (default: replay each scene on its own clock, as fast as the CPU allows)")
	noChecks := fs.Bool("no-evidence-checks", false, "run the rules with confirm_score, confirm_score_at_start, min_presence and look_match at -1 (off), to measure what the checks buy")
	secondLook := fs.String("second-look", "", "on or off: the rules' second look (default: the configuration's, on)")
	zoneCrop := fs.String("zone-crop", "", "on or off: zone-cropped detection (default: the configuration's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sl, err := onOff("second-look", *secondLook)
	if err != nil {
		return err
	}
	zc, err := onOff("zone-crop", *zoneCrop)
	if err != nil {
		return err
	}
	f := assets.DefaultFetcher()
	root, err := f.Root(ctx, assets.Testdata())
	if err != nil {
		return err
	}
	cfg := eval.Config{AssetDir: root, Fetcher: f, Logger: newLogger(*level), Suite: *suite, Live: *live}
	if *noChecks {
		cfg.Rule = func(r *config.Rule) {
			r.ConfirmScore, r.ConfirmScoreAtStart, r.MinPresence, r.LookMatch = -1, -1, -1, -1
		}
	}
	if sl != nil {
		rule := cfg.Rule
		cfg.Rule = func(r *config.Rule) {
			if rule != nil {
				rule(r)
			}
			r.SecondLook = sl
		}
	}
	if zc != nil {
		cfg.Configure = func(c *config.Config) { c.Model.ZoneCrop = zc }
	}
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
	if rep.Precision < 1 || rep.Recall < 1 || rep.Duplicates > 0 {
		return fmt.Errorf("precision %.3f, recall %.3f, %d duplicate cases", rep.Precision, rep.Recall, rep.Duplicates)
	}
	return nil
}

// onOff parses an on/off flag ("" is nil: the configuration's default).
func onOff(name, v string) (*bool, error) {
	switch v {
	case "":
		return nil, nil
	case "on":
		t := true
		return &t, nil
	case "off":
		f := false
		return &f, nil
	}
	return nil, fmt.Errorf("-%s %q: on or off", name, v)
}
