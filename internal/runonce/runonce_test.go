package runonce

import (
	"context"
	"errors"
	"testing"
)

// TestGuard: Run once, Close waits for Run to return, no Run after Close.
func TestGuard(t *testing.T) {
	t.Parallel()
	var g Guard
	ctx, finish, err := g.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := g.Start(context.Background()); !errors.Is(err, ErrRan) {
		t.Fatalf("second Start = %v, want ErrRan", err)
	}
	returned := make(chan struct{})
	go func() {
		<-ctx.Done() // Run works until Close cancels it
		close(returned)
		finish()
	}()
	g.Close()
	select {
	case <-returned:
	default:
		t.Fatal("Close returned before Run")
	}
	var closed Guard
	closed.Close() // never ran: returns at once
	if _, _, err := closed.Start(context.Background()); !errors.Is(err, ErrRan) {
		t.Fatalf("Start after Close = %v, want ErrRan", err)
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	ch := make(chan struct{})
	if Closed(ch) {
		t.Fatal("open channel reported closed")
	}
	close(ch)
	if !Closed(ch) {
		t.Fatal("closed channel reported open")
	}
}
