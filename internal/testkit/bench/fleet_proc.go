package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/patrol-city/patrol/internal/config"
)

// The lines a fleet member prints on stdout (FleetMemberCommand):
// "ready" once its tables are read, "start <camera> <unix ns>" and "stop
// <camera> <unix ns>" for every camera its runner starts or stops, and
// "status <FleetMemberStatus JSON>" four times a second.
const (
	FleetReady  = "ready"
	FleetStart  = "start"
	FleetStop   = "stop"
	FleetStatus = "status"
)

// FleetMemberStatus is a member's status line.
type FleetMemberStatus struct {
	Generation   int32  `json:"generation"`
	Assignments  int64  `json:"assignments"`
	Starting     int    `json:"starting"`
	OverCapacity int    `json:"over_capacity"`
	Unplaced     int    `json:"unplaced"`
	Running      int    `json:"running"`
	HeapBytes    uint64 `json:"heap_bytes"`
}

// FleetWorkerConfig is the configuration of a bench fleet member: a worker
// in cluster mode on the run's group and topics (run.cameras,
// run.casestate), with the given max_cameras, partitions, session
// timeout and hand-over delay (0: the defaults), defaults applied.
func FleetWorkerConfig(brokers []string, run, name string, maxCameras, partitions int, session, handover time.Duration) *config.Config {
	cfg := &config.Config{Worker: name}
	cfg.Kafka.Brokers = brokers
	cfg.Cluster = config.Cluster{Enabled: true, Group: run, RegistryTopic: run + ".cameras",
		CaseStateTopic: run + ".casestate", Partitions: partitions, MaxCameras: maxCameras,
		SessionTimeout: session, HandoverDelay: handover}
	cfg.ApplyDefaults()
	return cfg
}

// fleetEvent is a camera started or stopped by a member process.
type fleetEvent struct {
	at     time.Time
	proc   *fleetProc
	camera string
	start  bool
}

// fleetProc is one member process (one incarnation of a worker name).
type fleetProc struct {
	name   string
	cmd    *exec.Cmd
	ready  chan struct{}
	exited chan struct{}

	mu       sync.Mutex
	status   FleetMemberStatus
	statusAt time.Time
	running  map[string]bool
}

// fleetTracker follows every member's lines: who runs which camera, and
// the unwatched gaps once gap tracking is on.
type fleetTracker struct {
	mu        sync.Mutex
	owners    map[string]map[*fleetProc]bool
	events    []fleetEvent
	lastEvent time.Time
	gaps      bool
	since     map[string]time.Time // camera -> unwatched since (gap tracking)
	maxGap    time.Duration
	gapSum    time.Duration
}

func newFleetTracker() *fleetTracker {
	return &fleetTracker{owners: map[string]map[*fleetProc]bool{}, since: map[string]time.Time{}}
}

// spawn starts a member process and follows its stdout.
func (t *fleetTracker) spawn(cmd *exec.Cmd, name string, stderr io.Writer) (*fleetProc, error) {
	cmd.SysProcAttr = childAttr()
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &fleetProc{name: name, cmd: cmd, ready: make(chan struct{}), exited: make(chan struct{}), running: map[string]bool{}}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start fleet member %s: %w", name, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		readyOnce := sync.Once{}
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 1 && f[0] == FleetReady:
				readyOnce.Do(func() { close(p.ready) })
			case len(f) == 2 && f[0] == FleetStatus:
				var st FleetMemberStatus
				if json.Unmarshal([]byte(f[1]), &st) == nil {
					p.mu.Lock()
					p.status, p.statusAt = st, time.Now()
					p.mu.Unlock()
				}
			case len(f) == 3 && (f[0] == FleetStart || f[0] == FleetStop):
				ns, err := strconv.ParseInt(f[2], 10, 64)
				if err == nil {
					t.event(fleetEvent{at: time.Unix(0, ns), proc: p, camera: f[1], start: f[0] == FleetStart})
				}
			}
		}
		_ = cmd.Wait()
		t.gone(p, time.Now())
		close(p.exited)
	}()
	return p, nil
}

// event books a start or stop.
func (t *fleetTracker) event(e fleetEvent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.events = append(t.events, e)
	if e.at.After(t.lastEvent) {
		t.lastEvent = e.at
	}
	e.proc.mu.Lock()
	if e.start {
		e.proc.running[e.camera] = true
	} else {
		delete(e.proc.running, e.camera)
	}
	e.proc.mu.Unlock()
	t.setOwner(e.camera, e.proc, e.start, e.at)
}

// setOwner changes the camera's owners and its unwatched gap.
func (t *fleetTracker) setOwner(camera string, p *fleetProc, on bool, at time.Time) {
	o := t.owners[camera]
	if o == nil {
		o = map[*fleetProc]bool{}
		t.owners[camera] = o
	}
	if on {
		o[p] = true
		if s, ok := t.since[camera]; ok {
			delete(t.since, camera)
			t.addGap(at.Sub(s))
		}
		return
	}
	delete(o, p)
	if len(o) == 0 && t.gaps {
		t.since[camera] = at
	}
}

func (t *fleetTracker) addGap(d time.Duration) {
	t.gapSum += d
	if d > t.maxGap {
		t.maxGap = d
	}
}

// gone drops a dead process's cameras (a SIGKILL stops them at once).
func (t *fleetTracker) gone(p *fleetProc, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p.mu.Lock()
	var ids []string
	for id := range p.running {
		ids = append(ids, id)
	}
	p.running = map[string]bool{}
	p.mu.Unlock()
	for _, id := range ids {
		t.setOwner(id, p, false, at)
	}
}

// kill sends sig and waits for the process to exit.
func (p *fleetProc) kill(sig syscall.Signal, limit time.Duration) error {
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
		return nil
	case <-time.After(limit):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("bench: fleet member %s did not exit within %v of %v", p.name, limit, sig)
	}
}

func (p *fleetProc) snapshot() (FleetMemberStatus, time.Time, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status, p.statusAt, len(p.running)
}

// owned maps every watched camera to its worker names.
func (t *fleetTracker) owned() map[string][]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string][]string{}
	for c, o := range t.owners {
		for p := range o {
			out[c] = append(out[c], p.name)
		}
	}
	return out
}

// closeGaps ends gap tracking, counting the gaps still open up to at.
func (t *fleetTracker) closeGaps(at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c, s := range t.since {
		t.addGap(at.Sub(s))
		delete(t.since, c)
	}
	t.gaps = false
}

// startGaps starts gap tracking: a camera watched now counts from the
// moment it is not (a camera unwatched already is counted apart).
func (t *fleetTracker) startGaps() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gaps, t.maxGap, t.gapSum = true, 0, 0
}

// eventsSince returns the events at or after from.
func (t *fleetTracker) eventsSince(from time.Time) []fleetEvent {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []fleetEvent
	for _, e := range t.events {
		if !e.at.Before(from) {
			out = append(out, e)
		}
	}
	return out
}
