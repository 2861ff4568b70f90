// Command patrol watches city cameras and turns what it sees into candidate
// cases for a city-management office.
//
//	patrol run    -config patrol.yaml    run a worker
//	patrol replay -config patrol.yaml -camera ID -file clip.mp4   a recording through a camera's rules
//	patrol demo   [-duration 3m] [-data DIR]   everything on one machine
//	patrol sim    [-listen ADDR] -scene NAME|FILE ... -file VIDEO ...   test camera
//	patrol models pull|list              fetch and verify detection models
//	patrol plates [-json] FILE...         the vehicles and licence plates of still pictures
//	patrol cameras apply|list|get -config worker.yaml   the fleet's camera registry
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: patrol <command> [flags]

commands:
  run      run a worker from a configuration file
  replay   play a recorded file through a camera's zones and rules, as fast as the CPU allows
  demo     run the whole pipeline on a simulated camera with embedded Kafka
  sim      serve simulated cameras over RTSP
  models   pull or list detection models
  plates   read the vehicles and licence plates of still pictures
  cameras  apply, list or get the cameras of the fleet's registry (Kafka)
  console  serve the web console for dispatchers and operators
  eval     measure precision, recall and alarm error on the scripted scene suite
  bench    measure patrol's CPU and memory (bench ingest, bench detect)

Run 'patrol <command> -h' for a command's flags.
`

func main() { os.Exit(run()) }

// run runs the command named by os.Args and returns the process's exit
// code (after its deferred calls, which os.Exit would skip).
func run() int {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "run":
		err = cmdRun(ctx, args)
	case "replay":
		err = cmdReplay(ctx, args)
	case "demo":
		err = cmdDemo(ctx, args)
	case "sim":
		err = cmdSim(ctx, args)
	case "models":
		err = cmdModels(ctx, args)
	case "plates":
		err = cmdPlates(ctx, args)
	case "cameras":
		err = cmdCameras(ctx, args)
	case "console":
		err = cmdConsole(ctx, args)
	case "bench":
		err = cmdBench(ctx, args)
	case "eval":
		err = cmdEval(ctx, args)
	case "-h", "--help", "help":
		fmt.Print(usage)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "patrol: unknown command %q\n\n%s", os.Args[1], usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		fmt.Fprintf(os.Stderr, "patrol %s: %v\n", os.Args[1], err)
		return 1
	}
	return 0
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
