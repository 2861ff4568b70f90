package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/ingest/demux"
	"github.com/patrol-city/patrol/internal/replay"
)

// cmdReplay plays a recorded file through one camera's zones and rules
// and prints every case event with its time in the file and why it fired.
func cmdReplay(ctx context.Context, args []string) error {
	tty := false
	if st, err := os.Stderr.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
		tty = true
	}
	return replayCommand(ctx, args, os.Stdout, os.Stderr, tty)
}

// replayCommand is cmdReplay writing to stdout and stderr, with a
// progress line on stderr when tty is set.
func replayCommand(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "patrol.yaml", "worker configuration file: the camera's zones and rules")
	camera := fs.String("camera", "", "id of the camera whose zones and rules apply (default: the configuration's only camera)")
	file := fs.String("file", "", "recorded video (MP4, MKV, AVI, TS, ...; H.264/H.265 played as recorded, other codecs re-encoded)")
	speed := fs.String("speed", "max", `"max" (as fast as the CPU allows), or N times real time (1: real time)`)
	out := fs.String("out", "", "directory for the evidence and cases.jsonl (default: none kept)")
	loops := fs.Int("loop", 1, "play the file (or its -from/-to part) this many times in a row")
	from := fs.Duration("from", 0, "start at the last key frame at or before this time in the file")
	to := fs.Duration("to", 0, "stop after this time in the file (default: its end)")
	start := fs.String("start", "", "wall time of the file's first picture, RFC 3339 (default "+replay.DefaultStart.Format(time.RFC3339)+"), for rule schedules")
	level := fs.String("log-level", "warn", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rcfg, in, err := replayFlags(stderr, *cfgPath, *camera, *file, *speed, *start, *loops, *from, *to)
	if err != nil {
		return err
	}
	rcfg.Out = *out
	deps := replay.Deps{Logger: newLogger(*level)}
	if tty {
		deps.OnProgress = func(p replay.Progress) { printProgress(stderr, p) }
	}
	r, err := replay.New(rcfg, deps)
	if err != nil {
		return err
	}
	res, err := r.Run(ctx, in)
	if tty {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	printEvents(stdout, res, *out)
	if *out != "" {
		if err := writeEvents(filepath.Join(*out, "cases.jsonl"), res.Events); err != nil {
			return err
		}
	}
	return nil
}

// replayFlags checks the flags and builds the replay's configuration and
// input.
func replayFlags(stderr io.Writer, cfgPath, camera, file, speed, start string, loops int, from, to time.Duration) (replay.Config, replay.Input, error) {
	var rc replay.Config
	var in replay.Input
	if file == "" {
		return rc, in, errors.New("-file required: the recording to play")
	}
	if loops < 1 || loops > 10000 {
		return rc, in, fmt.Errorf("-loop %d: between 1 and 10000", loops)
	}
	if from < 0 || to < 0 || (to > 0 && to <= from) {
		return rc, in, fmt.Errorf("-from %v -to %v: want 0 <= from < to", from, to)
	}
	switch speed {
	case "max", "0":
	default:
		v, err := strconv.ParseFloat(speed, 64)
		if err != nil || v <= 0 || v > 1000 {
			return rc, in, fmt.Errorf(`-speed %q: "max" or a factor above 0 (1: real time)`, speed)
		}
		rc.Speed = v
	}
	if start != "" {
		t, err := time.Parse(time.RFC3339, start)
		if err != nil {
			return rc, in, fmt.Errorf("-start: %w", err)
		}
		rc.Start = t
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return rc, in, err
	}
	if camera == "" {
		if len(cfg.Cameras) != 1 {
			return rc, in, fmt.Errorf("-camera required: %s has %d cameras", cfgPath, len(cfg.Cameras))
		}
		camera = cfg.Cameras[0].ID
	}
	rc.Worker, rc.Camera = cfg, camera
	// Opened once here, so that a file patrol cannot play fails before
	// the model loads.
	f, err := demux.Open(file, demux.Options{})
	if err != nil {
		return rc, in, err
	}
	if ok, codec := f.Transcoded(); ok {
		fmt.Fprintf(stderr, "replay: %s is %s video: re-encoded to H.264 as it is read (cameras send H.264 or H.265)\n", file, codec)
	}
	_ = f.Close()
	in = replay.Input{Loops: loops, From: from, To: to, Open: func() (replay.Reader, error) {
		return demux.Open(file, demux.Options{})
	}}
	return rc, in, nil
}

// printProgress rewrites the terminal's progress line.
func printProgress(w io.Writer, p replay.Progress) {
	x := 0.0
	if p.Elapsed > 0 {
		x = p.Played.Seconds() / p.Elapsed.Seconds()
	}
	fmt.Fprintf(w, "\r\033[Kreplay: loop %d at %s, %.0fx real time, %d pictures, %d case events", p.Loop, clock(p.FileTime), x, p.Pictures, p.Events)
}

// printEvents prints one line per case event (with its evidence files
// under out, when set) and a summary.
func printEvents(w io.Writer, res *replay.Result, out string) {
	opened := 0
	for _, ev := range res.Events {
		loop, at := res.FileTime(ev.EventTime)
		pos := clock(at)
		if res.Loops > 1 {
			pos = fmt.Sprintf("loop %d %s", loop, pos)
		}
		if ev.Event == "opened" {
			opened++
		}
		subj := ""
		if len(ev.Objects) > 0 {
			o := ev.Objects[0]
			subj = fmt.Sprintf("%s %.2f box [%.3f %.3f %.3f %.3f]", o.Label, o.Score, o.Box[0], o.Box[1], o.Box[2], o.Box[3])
			if len(ev.Objects) > 1 {
				subj += fmt.Sprintf(" +%d objects", len(ev.Objects)-1)
			}
		}
		fmt.Fprintf(w, "%s  %-7s %s seq %d  %s/%s zone %s  %s\n", pos, ev.Event, ev.CaseID, ev.Seq, ev.Rule.ID, ev.Rule.Code, ev.ZoneID, subj)
		if e := ev.Explanation; e != nil {
			fmt.Fprintf(w, "    why: %s\n", why(e.DwellS, e.Pictures, e.ScoreStat, e.Score, e.LookMatch, e.Presence, e.Gaps, e.PresentAtStart, e.Continued))
		}
		if out != "" && len(ev.Evidence) > 0 {
			var names []string
			for _, e := range ev.Evidence {
				names = append(names, path.Base(e.Key))
			}
			dir := filepath.Join(out, ev.Evidence[0].Bucket, filepath.FromSlash(path.Dir(ev.Evidence[0].Key)))
			fmt.Fprintf(w, "    evidence: %s/ (%s)\n", dir, strings.Join(names, ", "))
		}
	}
	st := res.Stats
	x := 0.0
	if res.Elapsed > 0 {
		x = res.Played.Seconds() / res.Elapsed.Seconds()
	}
	fmt.Fprintf(w, "played %s of video (%d loop(s)) in %s: %.1fx real time; %d pictures analysed (%d inferences, %d gated by motion), %d cases opened, %d case events\n",
		res.Played.Round(100*time.Millisecond), res.Loops, res.Elapsed.Round(10*time.Millisecond), x,
		st.Inferences+st.Gated, st.Inferences, st.Gated, opened, len(res.Events))
}

// why words a case's explanation.
func why(dwell float64, pictures int, stat string, score, look, presence float64, gaps int, atStart, continued bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "at rest %.1fs over %d pictures, %s score %.2f, look match %.2f, presence %.2f, %d gaps", dwell, pictures, stat, score, look, presence, gaps)
	if atStart {
		b.WriteString(", present when the camera started")
	}
	if continued {
		b.WriteString(", continued by a new track")
	}
	return b.String()
}

// clock formats a time in the file as mm:ss.s.
func clock(d time.Duration) string {
	d = d.Round(100 * time.Millisecond)
	m := int(d / time.Minute)
	s := (d - time.Duration(m)*time.Minute).Seconds()
	return fmt.Sprintf("%02d:%04.1f", m, s)
}

// writeEvents writes the case events as JSON lines, as Kafka carries them.
func writeEvents(path string, events []replay.Event) error {
	var b strings.Builder
	for _, ev := range events {
		raw, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		b.Write(raw)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	return nil
}
