package eval

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/testkit/scenes"
	"github.com/patrol-city/patrol/internal/testkit/sim"
)

// plan is one scene ready to play: its stream, the rule ids of its zone
// and how long it plays.
type plan struct {
	sc       *sim.Scene
	stream   *sim.Stream
	rules    []string      // rule ids in the worker's configuration
	minDwell time.Duration // of the scene's rules
	length   time.Duration // played: one loop x Loops
}

// baseRule is the evaluation rule id of a worker rule id: a scene with its
// own min_dwell gets copies named "<rule>.<dwell>".
func baseRule(id string) string {
	b, _, _ := strings.Cut(id, ".")
	return b
}

// planScenes loads the scenes and their streams, and adds to rules a copy
// of each rule a scene runs at its own min_dwell.
func planScenes(cfg Config, rules []config.Rule) ([]plan, []config.Rule, error) {
	byID := map[string]config.Rule{}
	for _, r := range rules {
		byID[r.ID] = r
	}
	var plans []plan
	for _, n := range cfg.Scenes {
		sc, err := scenes.Load(n)
		if err != nil {
			return nil, nil, err
		}
		if sc.Eval == nil {
			return nil, nil, fmt.Errorf("eval: scene %s has no eval section", n)
		}
		pl := plan{sc: sc, minDwell: cfg.MinDwell}
		if sc.Eval.MinDwell > 0 {
			pl.minDwell = sc.Eval.MinDwell
		}
		for _, id := range sc.Eval.Rules {
			r, ok := byID[id]
			if !ok {
				return nil, nil, fmt.Errorf("eval: scene %s: rule %q is not in the evaluation rule set", n, id)
			}
			if pl.minDwell != cfg.MinDwell {
				r.ID = fmt.Sprintf("%s.%s", id, pl.minDwell)
				r.MinDwell = pl.minDwell
				if _, dup := byID[r.ID]; !dup {
					byID[r.ID] = r
					rules = append(rules, r)
				}
			}
			pl.rules = append(pl.rules, r.ID)
		}
		for _, e := range sc.Eval.Expect {
			if _, ok := byID[e.Rule]; !ok {
				return nil, nil, fmt.Errorf("eval: scene %s expects rule %q, not in the evaluation rule set", n, e.Rule)
			}
		}
		plans = append(plans, pl)
	}
	if err := makeStreams(cfg.AssetDir, plans); err != nil {
		return nil, nil, err
	}
	return plans, rules, nil
}

// makeStreams gives each plan its scene's stream, two scenes at a time
// (rendering is Go, encoding x264: each keeps one core busy), the longest
// scenes first.
func makeStreams(assetDir string, plans []plan) error {
	order := make([]int, len(plans))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return plans[order[a]].sc.Duration > plans[order[b]].sc.Duration
	})
	errs := make([]error, len(plans))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= len(order) {
					return
				}
				pl := &plans[order[k]]
				st, err := streams.get(assetDir, pl.sc)
				if err != nil {
					errs[order[k]] = fmt.Errorf("eval: scene %s: %w", pl.sc.Name, err)
					continue
				}
				cp := *st // the units are shared, read only
				pl.stream = &cp
				pl.stream.Loops = pl.sc.Loops
				pl.length = pl.stream.Period * time.Duration(pl.sc.Loops)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// streamCache keeps each scene's encoded stream for the life of the
// process: rendering and encoding a scene costs more than replaying it
// (the ten-minute rush hour renders 6000 pictures), and the suites of a
// test run share scenes.
type streamCache struct {
	mu sync.Mutex
	m  map[string]*cachedStream
}

type cachedStream struct {
	once sync.Once
	st   *sim.Stream
	err  error
}

var streams = &streamCache{m: map[string]*cachedStream{}}

// get returns the stream of scene sc, made once per asset directory.
func (c *streamCache) get(assetDir string, sc *sim.Scene) (*sim.Stream, error) {
	c.mu.Lock()
	e, ok := c.m[assetDir+"|"+sc.Name]
	if !ok {
		e = &cachedStream{}
		c.m[assetDir+"|"+sc.Name] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		if sc.Video != "" {
			e.st, e.err = sim.FileStream(filepath.Join(assetDir, filepath.FromSlash(sc.Video)), sim.FileOptions{})
		} else {
			e.st, e.err = sim.SceneStream(sc, assetDir, media.H264)
		}
	})
	return e.st, e.err
}
