package plate

import (
	"context"

	"github.com/patrol-city/patrol/models"
	"github.com/patrol-city/patrol/models/assets"
)

// Pull fetches both models through f (checked against models/manifest.json,
// like `patrol models pull`) and loads them on the ONNX Runtime library at
// lib.
func Pull(ctx context.Context, f *assets.Fetcher, lib string) (*Reader, error) {
	det, _, err := models.Pull(ctx, f, models.PPOCRDet)
	if err != nil {
		return nil, err
	}
	rec, _, err := models.Pull(ctx, f, models.PPOCRRec)
	if err != nil {
		return nil, err
	}
	return NewReader(ReaderConfig{
		Recognizer: Config{ModelPath: rec, RuntimeLibrary: lib},
		Finder:     FinderConfig{ModelPath: det, RuntimeLibrary: lib},
	})
}
