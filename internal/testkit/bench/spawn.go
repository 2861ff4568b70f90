package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// SpawnFunc starts a simulator serving spec and returns one rtsp:// URL per
// path and a function that stops the simulator and waits for it. Stop must
// be safe to call more than once.
type SpawnFunc func(ctx context.Context, spec SimSpec) (urls []string, stop func(), err error)

// ReadyTimeout bounds how long ExecSim waits for the child's SIM-READY line
// (encoding a 1080p loop takes a few seconds).
const ReadyTimeout = 3 * time.Minute

// ExecSim returns a SpawnFunc that runs the simulator as a separate process:
// exe with args, followed by "--listen 127.0.0.1:0 --stdin-eof" and
// spec.Args(). The child must behave like ServeSynthetic (SIM-URL and
// SIM-READY lines on stdout) and exit when its stdin reaches EOF; its stderr
// goes to stderr (nil discards it). The child is killed when ctx ends or
// stop is called; on Linux it also receives SIGKILL if the parent dies.
func ExecSim(exe string, args []string, stderr io.Writer) SpawnFunc {
	return func(ctx context.Context, spec SimSpec) ([]string, func(), error) {
		if err := spec.validate(); err != nil {
			return nil, nil, err
		}
		cctx, cancel := context.WithCancel(ctx)
		argv := append(append(append([]string{}, args...), "--listen", "127.0.0.1:0", "--stdin-eof"), spec.Args()...)
		cmd := exec.CommandContext(cctx, exe, argv...)
		cmd.SysProcAttr = childAttr()
		cmd.WaitDelay = 2 * time.Second
		cmd.Stderr = stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			cancel()
			return nil, nil, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			cancel()
			return nil, nil, err
		}
		if err := cmd.Start(); err != nil {
			cancel()
			return nil, nil, fmt.Errorf("bench: start simulator: %w", err)
		}
		var once sync.Once
		stop := func() {
			once.Do(func() {
				stdin.Close()
				cancel()
				_ = cmd.Wait() // killed: the error is expected
			})
		}
		ready := make(chan []string, 1)
		go readURLs(stdout, ready)
		timer := time.NewTimer(ReadyTimeout)
		defer timer.Stop()
		select {
		case urls, ok := <-ready:
			if !ok {
				stop()
				return nil, nil, errors.New("bench: simulator exited before it was ready (see its log above)")
			}
			if len(urls) != spec.urlCount() {
				stop()
				return nil, nil, fmt.Errorf("bench: simulator announced %d URLs, want %d", len(urls), spec.urlCount())
			}
			return urls, stop, nil
		case <-ctx.Done():
			stop()
			return nil, nil, ctx.Err()
		case <-timer.C:
			stop()
			return nil, nil, fmt.Errorf("bench: simulator not ready after %v", ReadyTimeout)
		}
	}
}

// readURLs collects SIM-URL lines until SIM-READY, sends them, then drains
// the rest of r. It closes ready without sending if r ends first.
func readURLs(r io.Reader, ready chan<- []string) {
	sc := bufio.NewScanner(r)
	var urls []string
	sent := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case sent:
		case strings.HasPrefix(line, "SIM-URL "):
			urls = append(urls, strings.TrimSpace(strings.TrimPrefix(line, "SIM-URL ")))
		case line == "SIM-READY":
			ready <- urls
			sent = true
		}
	}
	if !sent {
		close(ready)
	}
	_, _ = io.Copy(io.Discard, r)
}
