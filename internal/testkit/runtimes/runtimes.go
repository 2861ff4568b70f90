// Package runtimes gives tests the inference runtime library the detector's
// default backend loads, pulled the way `patrol models pull` does. It is
// test tooling; production code never imports it.
package runtimes

import (
	"context"

	"github.com/patrol-city/patrol/internal/testkit/testenv"
	"github.com/patrol-city/patrol/models"
	"github.com/patrol-city/patrol/models/assets"
)

// ONNXRuntime returns the path of ONNX Runtime's shared library: from the
// asset mirror or the cache, else extracted from the PyPI wheel downloaded
// once into the cache, sha256-checked.
func ONNXRuntime() (string, error) {
	f := assets.DefaultFetcher()
	f.Mirror = testenv.Mirror()
	p, _, err := models.PullRuntime(context.Background(), f, models.ONNXRuntime)
	return p, err
}

// Fetcher returns an asset fetcher for tests: the given mirror (the
// model, imagery and footage) and the user's download cache, so that the
// runtime library is downloaded once per machine, not once per test.
func Fetcher(mirror string) *assets.Fetcher {
	f := assets.DefaultFetcher()
	f.Mirror = mirror
	return f
}
