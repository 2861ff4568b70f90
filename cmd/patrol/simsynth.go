package main

import (
	"context"
	"flag"
	"io"
	"os"

	"github.com/patrol-city/patrol/internal/testkit/bench"
)

// cmdSimSynthetic is the hidden simulator process of "patrol bench ingest":
// it encodes one synthetic camera loop and serves it on --paths paths,
// announcing the URLs on stdout (see bench.ServeSynthetic).
func cmdSimSynthetic(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench sim-synthetic", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "RTSP listen address (port 0 picks a free one)")
	var spec bench.SimSpec
	fs.IntVar(&spec.Paths, "paths", 16, "number of paths cam0..camN-1")
	fs.IntVar(&spec.Width, "width", 1920, "picture width")
	fs.IntVar(&spec.Height, "height", 1080, "picture height")
	fs.IntVar(&spec.FPS, "fps", 25, "frame rate")
	fs.IntVar(&spec.GOP, "gop", 50, "key-frame interval in frames")
	fs.IntVar(&spec.Bitrate, "bitrate", 4_000_000, "bit rate in bits/s")
	fs.IntVar(&spec.Seconds, "seconds", 10, "loop length in seconds (rounded up to whole GOPs)")
	fs.IntVar(&spec.SubWidth, "sub-width", 0, "sub-stream width (0: no sub-stream)")
	fs.IntVar(&spec.SubHeight, "sub-height", 0, "sub-stream height")
	fs.IntVar(&spec.SubBitrate, "sub-bitrate", 0, "sub-stream bit rate in bits/s")
	fs.IntVar(&spec.BFrames, "bframes", 0, "B-frames between reference frames of the main stream")
	stdinEOF := fs.Bool("stdin-eof", false, "exit when stdin reaches EOF (the parent went away)")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if *stdinEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			cancel()
		}()
	}
	return bench.ServeSynthetic(ctx, spec, *listen, os.Stdout, newLogger(*level))
}
