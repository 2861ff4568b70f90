package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"fmt"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/pipeline"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/recheck"
)

// reply answers one request: the answer given before for a repeat, else
// a fresh look. A request it cannot answer now (the camera changed hands
// meanwhile, the answer not published) goes back to wait.
func (r *rechecks) reply(ctx context.Context, t recheck.Task) {
	q := t.Request
	log := r.log.With("camera", q.CameraID, "case", q.CaseID, "request", q.RequestID)
	if t.Repeat != nil {
		if err := r.send(ctx, *t.Repeat); err != nil {
			log.Warn("re-check answer not repeated; retried", "err", err)
			r.book.Release(q.RequestID)
			return
		}
		r.mu.Lock()
		r.repeated++
		r.mu.Unlock()
		return
	}
	ok, notRun := r.answer(q.CameraID)
	if !ok {
		r.book.Release(q.RequestID)
		return
	}
	a := cases.Recheck{SchemaVersion: cases.SchemaVersion, Type: cases.RecheckAnswer, RequestID: q.RequestID,
		CaseID: q.CaseID, CameraID: q.CameraID, Worker: r.cfg.Worker, Subject: q.Subject}
	if notRun != "" {
		a.Status, a.Reason = cases.RecheckUnknown, notRun
	} else {
		res, err := r.pipe.Recheck(ctx, q.CameraID, pipeline.RecheckQuery{CaseID: q.CaseID, Subject: q.Subject})
		if still, _ := r.answer(q.CameraID); err != nil || !still {
			// The camera stopped here (a hand-over) or the worker stops:
			// its next owner answers.
			log.Info("re-check not answered here: the camera changed hands", "err", err)
			r.book.Release(q.RequestID)
			return
		}
		a.Status, a.Reason, a.Score = res.Status, res.Reason, res.Score
		if res.Subject != nil {
			a.Subject = res.Subject
		}
		if !res.At.IsZero() {
			at := res.At.UTC()
			a.PictureAt = &at
		}
		if res.JPEG != nil {
			a.Picture = r.storePicture(ctx, q, res)
		}
	}
	now := time.Now().UTC()
	a.AnsweredAt = &now
	if err := r.send(ctx, a); err != nil {
		log.Warn("re-check answer not published; retried", "err", err)
		r.book.Release(q.RequestID)
		return
	}
	r.book.Answer(a)
	r.mu.Lock()
	r.answered[a.Status]++
	r.mu.Unlock()
	wait := ""
	if q.RequestedAt != nil {
		wait = now.Sub(*q.RequestedAt).Round(time.Millisecond).String()
	}
	log.Info("re-check answered", "status", a.Status, "reason", a.Reason, "since_request", wait)
}

// storePicture uploads the fresh picture as evidence role "recheck"
// (nil when the upload fails: the answer goes without it).
func (r *rechecks) storePicture(ctx context.Context, q cases.Recheck, res pipeline.RecheckResult) *cases.Evidence {
	key := fmt.Sprintf("%s/%s/%s/recheck-%s.jpg", q.CameraID, res.At.UTC().Format("2006/01/02"), q.CaseID, q.RequestID)
	sctx, cancel := context.WithTimeout(ctx, recheckStoreTimeout)
	defer cancel()
	st, err := r.store.Put(sctx, evidence.Object{Key: key, ContentType: "image/jpeg", Data: res.JPEG})
	if err != nil {
		r.log.Warn("re-check picture not stored; answered without it", "camera", q.CameraID, "case", q.CaseID, "err", err)
		return nil
	}
	sum := sha256.Sum256(res.JPEG)
	return &cases.Evidence{Kind: "snapshot", Role: "recheck", Annotated: true, Bucket: st.Bucket, Key: st.Key,
		SHA256: hex.EncodeToString(sum[:]), Size: st.Size, ContentType: st.ContentType, URL: st.URL}
}

// send publishes an answer (key camera id, acks all).
func (r *rechecks) send(ctx context.Context, a cases.Recheck) error {
	raw, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("re-check answer: %w", err)
	}
	if err := a.Validate(); err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, recheckSendTimeout)
	defer cancel()
	if err := r.out.WriteCase(sctx, a.CameraID, raw); err != nil {
		return fmt.Errorf("re-check answer: %w", err)
	}
	return nil
}

// standaloneAnswerer answers the cameras this worker runs (outside a
// fleet, a camera is in one worker's configuration).
func standaloneAnswerer(p *pipeline.Pipeline) answerer {
	return func(camera string) (bool, string) { return p.Camera(camera) != nil, "" }
}
