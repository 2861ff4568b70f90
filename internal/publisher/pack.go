package publisher

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"slices"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/ingest/av"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/publisher/clip"
	"github.com/patrol-city/patrol/internal/publisher/outbox"
	"github.com/patrol-city/patrol/internal/publisher/snapshot"
)

// Evidence roles in a case's evidence pack.
const (
	RoleConfirmation = "confirmation"
	RoleArrival      = "arrival"
	RoleFirstSight   = "first_sight"
	// RoleRedacted is the clean snapshot with faces and the other
	// vehicles' plates blurred, for sharing outside the office.
	RoleRedacted = "redacted"
)

// packItem is one evidence object before it is stored.
type packItem struct {
	obj outbox.Object
	ev  cases.Evidence
}

// evidencePack builds the evidence of an opened case: a clip around the
// object's arrival and one around confirmation (one clip when they are
// close), clean and annotated snapshots at first sight and at confirmation
// (the dwell proof), and manifest.json listing every object with its
// sha256, size, time range and the case id.
func (p *Publisher) evidencePack(c Candidate, caseID, prefix string) ([]packItem, error) {
	var items []packItem
	add := func(name, kind, role, ctype string, annotated bool, data []byte, start, end *time.Time) {
		sum := sha256.Sum256(data)
		items = append(items, packItem{
			obj: outbox.Object{Name: name, Key: prefix + name, ContentType: ctype, Data: data},
			ev: cases.Evidence{Kind: kind, Role: role, Annotated: annotated, Bucket: p.deps.Store.Bucket(), Key: prefix + name,
				SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), ContentType: ctype, Start: start, End: end},
		})
	}
	// Clips: the confirmation clip (pre-roll + post-roll); when the arrival
	// lies before it, a clip around the arrival too (when the history still
	// holds it).
	confFrom, confTo := c.ConfirmedAt.Add(-p.cfg.PreRoll), c.ConfirmedAt.Add(p.cfg.PostRoll)
	arrFrom := c.FirstSeen.Add(-p.cfg.PreRoll)
	clips := c.Clips
	if clips == nil {
		clips = noClips{}
	}
	c.Clips = clips
	if !c.FirstSeen.Before(confFrom) {
		// The confirmation clip shows the arrival: one clip.
	} else if data, s, e, err := cutClip(c.Clips, arrFrom, c.FirstSeen.Add(p.cfg.PostRoll)); err == nil && !s.After(c.FirstSeen) {
		add("arrival.mp4", "clip", RoleArrival, "video/mp4", false, data, s, e)
	} else {
		p.log.Info("arrival clip not in the buffer", "camera", c.Camera.ID, "case", caseID)
	}
	var data []byte
	var s, e *time.Time
	var err error
	if c.partial != nil {
		// Recovered: the clip up to the crash, kept with the pending
		// record (the ring buffer that held the rest died with the process).
		ps, pe := c.partial.start.UTC(), c.partial.end.UTC()
		data, s, e = c.partial.data, &ps, &pe
	} else {
		data, s, e, err = cutClip(c.Clips, confFrom, confTo)
	}
	switch {
	case err == nil:
		add("clip.mp4", "clip", RoleConfirmation, "video/mp4", false, data, s, e)
	case c.Recovered:
		// Completed after a crash: the history on disk no longer holds
		// the confirmation; the case keeps its snapshots.
		p.log.Warn("recovered case without a confirmation clip", "camera", c.Camera.ID, "case", caseID, "err", err)
	case errors.Is(err, clip.ErrEmpty):
		// The camera's buffer held no picture around the confirmation (a
		// stream that stopped right then): the case is real all the same
		// and goes out with its snapshots rather than not at all.
		p.clipless.Add(1)
		p.log.Warn("case without a confirmation clip: no picture in the buffer around the confirmation", "camera", c.Camera.ID, "case", caseID)
	default:
		return nil, fmt.Errorf("clip: %w", err)
	}

	boxes := make([]snapshot.Box, len(c.Boxes))
	for i, b := range c.Boxes {
		o := c.Objects[min(i, len(c.Objects)-1)]
		boxes[i] = snapshot.Box{Label: o.Label, Score: float32(o.Score), Rect: b, Color: color.RGBA{R: 255, A: 255}}
	}
	at := c.ConfirmedAt.UTC()
	for _, v := range []struct {
		name  string
		boxes []snapshot.Box
	}{{"snapshot.jpg", boxes}, {"snapshot-clean.jpg", nil}} {
		snap, err := snapshot.Encode(&c.Frame, v.boxes, c.Zone)
		if err != nil && c.Recovered {
			break // the kept picture is unreadable: what else there is
		}
		if err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
		add(v.name, "snapshot", RoleConfirmation, "image/jpeg", v.boxes != nil, snap, &at, &at)
	}
	if c.Redacted != nil {
		snap, err := snapshot.Encode(c.Redacted, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("redacted snapshot: %w", err)
		}
		add("snapshot-redacted.jpg", "snapshot", RoleRedacted, "image/jpeg", false, snap, &at, &at)
	}
	if img, when, ok := firstSight(c.Clips, c.FirstSeen); ok {
		w := when.UTC()
		for _, v := range []struct {
			name  string
			boxes []snapshot.Box
		}{{"first-sight.jpg", boxes}, {"first-sight-clean.jpg", nil}} {
			if snap, err := snapshot.Encode(img, v.boxes, c.Zone); err == nil {
				add(v.name, "snapshot", RoleFirstSight, "image/jpeg", v.boxes != nil, snap, &w, &w)
			}
		}
	}
	manifest, err := buildManifest(caseID, c, items)
	if err != nil {
		return nil, err
	}
	add("manifest.json", "manifest", "", "application/json", false, manifest, nil, nil)
	return items, nil
}

// noClips is the clip source of a recovered case without history.
type noClips struct{}

func (noClips) Range(time.Time, time.Time) (media.Params, []media.AccessUnit) {
	return media.Params{}, nil
}

func cutClip(src ClipSource, from, to time.Time) ([]byte, *time.Time, *time.Time, error) {
	params, units := src.Range(from, to)
	var buf bytes.Buffer
	if _, err := clip.Write(&buf, params, units); err != nil {
		return nil, nil, nil, err
	}
	s, e := units[0].Recv.UTC(), units[len(units)-1].Recv.UTC()
	return buf.Bytes(), &s, &e, nil
}

// firstSight decodes the first key picture at or after t from the camera's
// history (the object at rest when it was first seen there).
func firstSight(src ClipSource, t time.Time) (*media.Image, time.Time, bool) {
	params, units := src.Range(t, t.Add(10*time.Second))
	k := slices.IndexFunc(units, func(u media.AccessUnit) bool { return u.Key && !u.Recv.Before(t) })
	if k < 0 {
		return nil, time.Time{}, false
	}
	u := units[k]
	dec, err := av.NewDecoder(params.Codec)
	if err != nil {
		return nil, time.Time{}, false
	}
	defer dec.Close()
	nalus := [][]byte{}
	for _, ps := range [][]byte{params.VPS, params.SPS, params.PPS} {
		if len(ps) > 0 {
			nalus = append(nalus, ps)
		}
	}
	img, err := dec.Decode(append(nalus, u.NALUs...))
	if err != nil || img == nil {
		return nil, time.Time{}, false
	}
	return img, u.Recv, true
}

// manifestEntry is one object in manifest.json.
type manifestEntry struct {
	Name        string     `json:"name"`
	Key         string     `json:"key"`
	Kind        string     `json:"kind"`
	Role        string     `json:"role,omitempty"`
	Annotated   bool       `json:"annotated,omitempty"`
	SHA256      string     `json:"sha256"`
	Size        int64      `json:"size"`
	ContentType string     `json:"content_type"`
	Start       *time.Time `json:"start,omitempty"`
	End         *time.Time `json:"end,omitempty"`
}

func buildManifest(caseID string, c Candidate, items []packItem) ([]byte, error) {
	m := struct {
		CaseID      string          `json:"case_id"`
		Camera      string          `json:"camera_id"`
		Rule        string          `json:"rule_id"`
		FirstSeen   time.Time       `json:"first_seen"`
		ConfirmedAt time.Time       `json:"confirmed_at"`
		Objects     []manifestEntry `json:"objects"`
	}{CaseID: caseID, Camera: c.Camera.ID, Rule: c.Rule.ID, FirstSeen: c.FirstSeen.UTC(), ConfirmedAt: c.ConfirmedAt.UTC()}
	for _, it := range items {
		m.Objects = append(m.Objects, manifestEntry{Name: it.obj.Name, Key: it.obj.Key, Kind: it.ev.Kind, Role: it.ev.Role,
			Annotated: it.ev.Annotated, SHA256: it.ev.SHA256, Size: it.ev.Size, ContentType: it.ev.ContentType,
			Start: it.ev.Start, End: it.ev.End})
	}
	return json.MarshalIndent(m, "", "  ")
}
