package worker

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka/ktable"
	"github.com/patrol-city/patrol/internal/kafka/registry"
	"github.com/patrol-city/patrol/internal/worker/cluster"
)

// desired returns the cameras this worker should run: the valid records
// that the placement over the generation's members gives it (the
// placement keeps a worker within its max_cameras; cameras no worker can
// take are Placement.Unplaced).
func (f *fleet) desired() (map[string]config.Camera, map[string][]byte) {
	all := f.registry.All()
	keys, needs := f.placementInput(all)
	f.mu.Lock()
	members := f.members
	f.mu.Unlock()
	var pl cluster.Placement // no members known yet: nothing placed, nothing reported
	if members != nil {
		pl = cluster.PlaceLabelled(members, keys, needs)
	}
	f.mu.Lock()
	changed := !slices.Equal(pl.Unplaced, f.owners.Unplaced)
	f.owners = pl
	f.mu.Unlock()
	cams := map[string]config.Camera{}
	raw := map[string][]byte{}
	for _, e := range all {
		if pl.Owner[e.Key] != f.cfg.Worker {
			continue
		}
		cam, err := registry.Decode(e.Key, e.Value)
		if err == nil {
			err = f.cfg.ValidateCameras([]config.Camera{cam})
		}
		if err == nil {
			err = f.cfg.CheckRegistryCamera(cam)
		}
		f.mu.Lock()
		if err != nil {
			if f.invalid[e.Key] != err.Error() {
				f.log.Error("registry record refused; the camera does not run", "camera", e.Key, "err", err)
			}
			f.invalid[e.Key] = err.Error()
			f.mu.Unlock()
			continue
		}
		delete(f.invalid, e.Key)
		f.mu.Unlock()
		cams[cam.ID], raw[cam.ID] = cam, e.Value
	}
	if changed && len(pl.Unplaced) > 0 {
		f.log.Warn("fleet over capacity: cameras no worker can take", "cameras", len(pl.Unplaced), "first", pl.Unplaced[0])
	}
	return cams, raw
}

// recordNeeds is a registry record and the placement labels it requires.
type recordNeeds struct {
	raw   []byte
	needs map[string]string
}

// placementInput is registry.Placement of the registry's entries,
// decoding only the records that changed since the last call (2.2 s from
// a camera's change to its restart at 10,000 cameras when every worker
// decoded them all, patrol bench fleet).
func (f *fleet) placementInput(all []ktable.Entry) ([]string, map[string]map[string]string) {
	keys := make([]string, 0, len(all))
	needs := map[string]map[string]string{}
	seen := make(map[string]bool, len(all))
	for _, e := range all {
		keys = append(keys, e.Key)
		seen[e.Key] = true
		d, ok := f.needs[e.Key]
		if !ok || !bytes.Equal(d.raw, e.Value) {
			_, n := registry.Placement([]ktable.Entry{e})
			d = recordNeeds{raw: e.Value, needs: n[e.Key]}
			f.needs[e.Key] = d
		}
		if len(d.needs) > 0 {
			needs[e.Key] = d.needs
		}
	}
	for k := range f.needs {
		if !seen[k] {
			delete(f.needs, k)
		}
	}
	return keys, needs
}

// reconcile stops the cameras no longer owned or changed, restarts the
// changed ones and starts the new ones after the hand-over delay.
func (f *fleet) reconcile(ctx context.Context) {
	cams, raw := f.desired()
	f.mu.Lock()
	running := maps.Clone(f.running) // f.stop changes f.running
	f.mu.Unlock()
	var release, restart, start []string
	for id, rec := range running {
		want, ok := raw[id]
		switch {
		case !ok:
			release = append(release, id)
		case !bytes.Equal(want, rec):
			restart = append(restart, id)
		}
	}
	for id := range cams {
		if _, ok := running[id]; !ok {
			start = append(start, id)
		}
	}
	sort.Strings(release)
	sort.Strings(start)
	sort.Strings(restart)
	for _, id := range release {
		f.stop(id, "released")
	}
	if len(restart) > 0 {
		// Still claimed while they restart (a join meanwhile keeps them here).
		f.setStarting(restart)
		for _, id := range restart {
			f.stop(id, "changed")
		}
		f.startAll(ctx, restart, cams, raw)
		f.setStarting(nil)
	}
	if len(start) == 0 {
		return
	}
	f.setStarting(start)
	defer f.setStarting(nil)
	select {
	case <-ctx.Done():
		return
	case <-time.After(f.cfg.Cluster.HandoverDelay):
	}
	// A rebalance began meanwhile: the next generation places these
	// cameras (here, since this worker claims them on joining) and
	// pokes a new reconcile. Starting them now could run a camera that
	// another worker also starts.
	if f.generationEnded() {
		f.log.Debug("cameras not started: the fleet is rebalancing", "cameras", len(start))
		return
	}
	// The assignment may have changed meanwhile: start only what is
	// still ours (a later reconcile handles the rest).
	cams, raw = f.desired()
	var still []string
	f.mu.Lock()
	for _, id := range start {
		_, mine := cams[id]
		_, runs := f.running[id]
		if mine && !runs {
			still = append(still, id)
		}
	}
	f.mu.Unlock()
	f.startAll(ctx, still, cams, raw)
}

// setStarting records the cameras placed here and waiting for the
// hand-over delay (shown by /healthz and claimed on joining).
func (f *fleet) setStarting(ids []string) {
	f.mu.Lock()
	f.starting = ids
	f.status.Starting = ids
	f.mu.Unlock()
}

// startAll reads the case state to its end (the previous owner's last
// word) and starts the cameras.
func (f *fleet) startAll(ctx context.Context, ids []string, cams map[string]config.Camera, raw map[string][]byte) {
	if len(ids) == 0 {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err := f.state.Sync(sctx)
	cancel()
	if err != nil {
		f.log.Warn("case state not read to its end; starting with what was read", "err", err)
	}
	for _, id := range ids {
		if err := f.pipe.AddCamera(cams[id]); err != nil {
			f.log.Error("camera not started", "camera", id, "err", err)
			continue
		}
		f.mu.Lock()
		f.running[id] = raw[id]
		f.mu.Unlock()
		f.log.Info("camera started", "camera", id)
	}
}

func (f *fleet) stop(id, why string) {
	if err := f.pipe.RemoveCamera(id); err != nil {
		f.log.Warn("camera stop", "camera", id, "err", err)
	}
	f.mu.Lock()
	delete(f.running, id)
	f.mu.Unlock()
	f.log.Info("camera stopped", "camera", id, "why", why)
}

// close releases the fleet's clients (after run and the member stopped).
func (f *fleet) close() {
	if f.stateW != nil {
		_ = f.stateW.Close()
	}
	if f.state != nil {
		f.state.Close()
	}
	if f.registry != nil {
		f.registry.Close()
	}
}

// answers tells whether this worker answers re-checks of camera
// (rechecks): the cameras it runs, and for a camera no worker runs, the
// worker the placement gives it (the first member by name for a camera
// not in the registry or that no worker can take), with the reason it
// does not run. A camera placed here and about to start (the hand-over
// delay) waits.
func (f *fleet) answers(camera string) (bool, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.running[camera]; ok {
		return true, ""
	}
	first := ""
	for _, m := range f.members {
		if first == "" || m.Worker < first {
			first = m.Worker
		}
	}
	if _, ok := f.registry.Get(camera); !ok {
		return first == f.cfg.Worker, cases.RecheckNoCamera + ": not in the registry"
	}
	if slices.Contains(f.owners.Unplaced, camera) {
		return first == f.cfg.Worker, cases.RecheckNoCamera + ": not run, no worker has room (cluster.max_cameras) or offers its labels (requires)"
	}
	if f.owners.Owner[camera] != f.cfg.Worker {
		return false, ""
	}
	if why, bad := f.invalid[camera]; bad {
		return true, cases.RecheckNoCamera + ": registry record refused: " + why
	}
	return false, ""
}
