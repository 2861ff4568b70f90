// Package runonce is the Run and Close bookkeeping of patrol's components
// (the worker, the console): Run may be called once, Close cancels a
// running Run and waits for it to return, and a component closed before it
// ran never runs. It imports nothing of patrol and builds with
// CGO_ENABLED=0.
package runonce

import (
	"context"
	"errors"
	"sync"
)

// ErrRan is returned by Start when Run was called before, or after Close.
var ErrRan = errors.New("run called twice or after close")

// Guard is a component's Run/Close state; its zero value is ready to use.
type Guard struct {
	mu   sync.Mutex
	ran  bool
	stop context.CancelFunc
	done chan struct{}
}

// Start marks the component running: it returns the context Run works
// under (cancelled by Close) and the function Run must defer, which
// cancels that context and tells Close that Run has returned.
func (g *Guard) Start(ctx context.Context) (context.Context, func(), error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ran {
		return nil, nil, ErrRan
	}
	g.ran = true
	ctx, g.stop = context.WithCancel(ctx)
	g.done = make(chan struct{})
	stop, done := g.stop, g.done
	return ctx, func() { stop(); close(done) }, nil
}

// Close cancels a running Run and waits until it has returned; a component
// that never ran has nothing to wait for, and will not run.
func (g *Guard) Close() {
	g.mu.Lock()
	g.ran = true
	stop, done := g.stop, g.done
	g.mu.Unlock()
	if stop == nil {
		return
	}
	stop()
	<-done
}

// Closed reports whether ch is closed (a component's "ready" channel).
func Closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
