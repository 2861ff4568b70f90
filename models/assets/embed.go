package assets

import (
	_ "embed"
)

//go:embed testdata.json
var testdataManifest []byte

// Testdata returns the manifest of the demo and test imagery (paths under
// testdata/ of the mirror).
func Testdata() *Manifest {
	m, err := ParseManifest(testdataManifest)
	if err != nil {
		panic(err) // embedded at build time; a test checks it parses
	}
	return m
}
