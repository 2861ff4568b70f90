package pipeline

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/ingest"
)

// Re-check on request (核查): the camera's next analysed picture, decoded
// again at full resolution, is looked at around the case's subject with
// the second look (detect.SecondLook), on the analysing goroutine, so that
// it uses the pool worker's detector and the camera's open cases as they
// are.

// RecheckQuery is what a re-check looks for.
type RecheckQuery struct {
	// CaseID is the case; its subject comes from the camera's open cases
	// (or the ones it closed lately), else from Subject.
	CaseID  string
	Subject *cases.RecheckSubject
	// Wait bounds the wait for the next analysed picture (default 6 s).
	Wait time.Duration
}

// DefaultRecheckWait is RecheckQuery.Wait's default.
const DefaultRecheckWait = 6 * time.Second

// RecheckResult is a re-check's finding.
type RecheckResult struct {
	// Status is cases.RecheckPresent, RecheckGone or RecheckUnknown, with
	// Reason (unknown; "case closed" for a case closed lately).
	Status, Reason string
	// Subject is what was looked for (nil: the case was not known).
	Subject *cases.RecheckSubject
	// Score is the subject's score on the picture (present).
	Score float64
	// JPEG is the picture with the subject's box drawn (nil: none taken);
	// At the picture's time.
	JPEG []byte
	At   time.Time
}

// recheckJob is a re-check waiting for the camera's next picture.
type recheckJob struct {
	q    RecheckQuery
	done chan RecheckResult // buffered: the worker never blocks on it
}

// recheckQueue holds a camera's waiting re-checks.
type recheckQueue struct {
	mu   sync.Mutex
	jobs []*recheckJob
}

// closedCase is a case the camera closed lately, for a re-check after it.
type closedCase struct {
	id      string
	subject cases.RecheckSubject
	labels  map[string]bool
}

// recentClosed is how many closed cases a camera remembers.
const recentClosed = 32

// Recheck looks at camera's next analysed picture for the case's subject.
// It returns an "unknown" result when the camera is offline or stalled, its
// picture is covered or frozen, the case is not known, or no picture is
// analysed within q.Wait; an error only for a camera this pipeline does
// not run or stops meanwhile (ErrUnknownCamera) or ctx ending.
func (p *Pipeline) Recheck(ctx context.Context, camera string, q RecheckQuery) (RecheckResult, error) {
	w := p.cameraByID(camera)
	if w == nil {
		return RecheckResult{}, fmt.Errorf("%w: %s", ErrUnknownCamera, camera)
	}
	if q.Wait <= 0 {
		q.Wait = DefaultRecheckWait
	}
	// A camera connecting (just started, or reconnecting) may stream
	// within the wait; an offline or stalled one is answered at once.
	if st, reason := w.streamState(); st == ingest.StateOffline || st == ingest.StateStalled {
		return unknown(fmt.Sprintf("%s: %s (%s)", cases.RecheckOffline, reason, st)), nil
	}
	job := &recheckJob{q: q, done: make(chan RecheckResult, 1)}
	w.rechecks.mu.Lock()
	w.rechecks.jobs = append(w.rechecks.jobs, job)
	w.rechecks.mu.Unlock()
	timer := time.NewTimer(q.Wait)
	defer timer.Stop()
	stopped := fmt.Errorf("%w: %s (stopped during the re-check)", ErrUnknownCamera, camera)
	select {
	case r, ok := <-job.done:
		if !ok {
			return RecheckResult{}, stopped
		}
		return r, nil
	case <-ctx.Done():
		w.rechecks.drop(job)
		return RecheckResult{}, ctx.Err()
	case <-timer.C:
		if w.rechecks.drop(job) {
			if p.cameraByID(camera) != w {
				return RecheckResult{}, stopped
			}
			st, reason := w.streamState()
			return unknown(fmt.Sprintf("%s within %v (camera %s %s)", cases.RecheckNoPicture, q.Wait, st, reason)), nil
		}
		r, ok := <-job.done // answered or cancelled meanwhile
		if !ok {
			return RecheckResult{}, stopped
		}
		return r, nil
	}
}

func unknown(reason string) RecheckResult {
	return RecheckResult{Status: cases.RecheckUnknown, Reason: reason}
}

// streamState is the state of the analysed stream (the sub-stream when
// there is one; the main stream too must stream for a full picture).
func (w *cameraWorker) streamState() (ingest.State, string) {
	st, reason := w.cam.State()
	if st == ingest.StateStreaming && w.det != nil {
		return w.det.State()
	}
	return st, reason
}

// drop removes job; false when the worker took it already.
func (q *recheckQueue) drop(job *recheckJob) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, j := range q.jobs {
		if j == job {
			q.jobs = append(q.jobs[:i], q.jobs[i+1:]...)
			return true
		}
	}
	return false
}

// take returns the waiting jobs and empties the queue.
func (q *recheckQueue) take() []*recheckJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	jobs := q.jobs
	q.jobs = nil
	return jobs
}

// cancel ends the waiting re-checks of a camera being removed: their
// Recheck returns ErrUnknownCamera (its next owner answers).
func (q *recheckQueue) cancel() {
	for _, job := range q.take() {
		close(job.done)
	}
}
