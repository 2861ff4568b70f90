package publisher

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/patrol-city/patrol/internal/backoff"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
)

func (p *Publisher) hook(stage, caseID string) {
	if p.deps.Hook != nil {
		p.deps.Hook(stage, caseID)
	}
}

// retry runs op until it succeeds, fails for good (evidence.ErrInvalidKey,
// broker.ErrRejected: wrapped in errPermanent) or the publisher stops, backing off
// exponentially with jitter between attempts.
func (p *Publisher) retry(op func(ctx context.Context) error) error {
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(p.runCtx, 30*time.Second)
		err := op(ctx)
		cancel()
		switch {
		case err == nil:
			if attempt > 1 {
				p.log.Info("delivered after retrying", "attempts", attempt)
			}
			return nil
		case errors.Is(err, evidence.ErrInvalidKey) || errors.Is(err, broker.ErrRejected):
			return fmt.Errorf("%w: %w", errPermanent, err)
		case p.runCtx.Err() != nil:
			return err
		}
		delay := p.backoff(attempt)
		p.retries.Add(1)
		// Warned once per failing operation, not at every retry: the
		// retries are counted (patrol_publish_retries_total) and the
		// dependency's state is logged by the worker and in /healthz.
		if attempt == 1 {
			p.log.Warn("delivery failed; retrying with backoff", "err", err)
		} else {
			p.log.Debug("retrying", "attempt", attempt, "in", delay.Round(time.Millisecond), "err", err)
		}
		if !p.sleep(delay) {
			return err
		}
	}
}

// backoff is the delay after the n-th failure in a row.
func (p *Publisher) backoff(n int) time.Duration {
	return backoff.Delay(p.cfg.RetryBase, p.cfg.RetryMax, n)
}

// sleep waits d; false if the publisher stopped meanwhile.
func (p *Publisher) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.runCtx.Done():
		return false
	}
}
