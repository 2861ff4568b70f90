// Package scenes holds patrol's scripted test scenes (YAML scripts read by
// package sim). Their imagery comes from the asset mirror, never from the
// repository.
package scenes

import (
	"embed"
	"fmt"
	"path"

	"github.com/patrol-city/patrol/internal/testkit/sim"
)

//go:embed *.yaml
var files embed.FS

// Load returns the named scene ("parking-e2e" for parking-e2e.yaml).
func Load(name string) (*sim.Scene, error) {
	raw, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("scenes: no scene %q", name)
	}
	sc, err := sim.ParseScene(raw)
	if err != nil {
		return nil, fmt.Errorf("scenes: %s: %w", name, err)
	}
	if sc.Name == "" {
		sc.Name = name
	}
	return sc, nil
}

// Names lists the embedded scenes.
func Names() []string {
	ents, _ := files.ReadDir(".")
	var out []string
	for _, e := range ents {
		out = append(out, e.Name()[:len(e.Name())-len(path.Ext(e.Name()))])
	}
	return out
}
