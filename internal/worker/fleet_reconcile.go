package worker

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"time"

	"github.com/patrol-city/patrol/cases"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka/registry"
)

// desired returns the cameras this worker should run: the valid records
// of its partitions, at most max_cameras of them (by id).
func (f *fleet) desired() (map[string]config.Camera, map[string][]byte, []string) {
	f.mu.Lock()
	assigned := f.assigned
	f.mu.Unlock()
	cams := map[string]config.Camera{}
	raw := map[string][]byte{}
	var ids []string
	for _, e := range f.registry.All() {
		if !assigned[int(e.Partition)] {
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
		ids = append(ids, cam.ID)
	}
	sort.Strings(ids)
	var over []string
	if m := f.cfg.Cluster.MaxCameras; m > 0 && len(ids) > m {
		over = ids[m:]
		for _, id := range over {
			delete(cams, id)
		}
	}
	return cams, raw, over
}

// reconcile stops the cameras no longer owned or changed, restarts the
// changed ones and starts the new ones after the hand-over delay.
func (f *fleet) reconcile(ctx context.Context) {
	cams, raw, over := f.desired()
	f.mu.Lock()
	f.status.OverCapacity = over
	running := f.running
	f.mu.Unlock()
	var restart, start []string
	for id, rec := range running {
		want, ok := raw[id]
		switch {
		case !ok:
			f.stop(id, "released")
		case !bytes.Equal(want, rec):
			f.stop(id, "changed")
			restart = append(restart, id)
		}
	}
	for id := range cams {
		if _, ok := running[id]; !ok {
			start = append(start, id)
		}
	}
	sort.Strings(start)
	sort.Strings(restart)
	if len(restart) > 0 {
		f.startAll(ctx, restart, cams, raw)
	}
	if len(start) == 0 {
		return
	}
	f.mu.Lock()
	f.status.Starting = start
	f.mu.Unlock()
	select {
	case <-ctx.Done():
		return
	case <-time.After(f.cfg.Cluster.HandoverDelay):
	}
	f.mu.Lock()
	f.status.Starting = nil
	f.mu.Unlock()
	// The assignment may have changed meanwhile: start only what is
	// still ours (a later reconcile handles the rest).
	cams, raw, _ = f.desired()
	var still []string
	for _, id := range start {
		if _, ok := cams[id]; ok {
			still = append(still, id)
		}
	}
	f.startAll(ctx, still, cams, raw)
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
// owner of the camera's registry partition (partition 0 for a camera not
// in the registry), with the reason it does not run. A camera of its
// partitions about to start (the hand-over delay) waits.
func (f *fleet) answers(camera string) (bool, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.running[camera]; ok {
		return true, ""
	}
	e, ok := f.registry.Get(camera)
	if !ok {
		return f.assigned[0], cases.RecheckNoCamera + ": not in the registry"
	}
	if !f.assigned[int(e.Partition)] {
		return false, ""
	}
	if why, bad := f.invalid[camera]; bad {
		return true, cases.RecheckNoCamera + ": registry record refused: " + why
	}
	if slices.Contains(f.status.OverCapacity, camera) {
		return true, cases.RecheckNoCamera + ": not run, over cluster.max_cameras"
	}
	return false, ""
}
