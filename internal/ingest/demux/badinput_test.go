package demux_test

import (
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patrol-city/patrol/internal/ingest/demux"
	"github.com/patrol-city/patrol/internal/ingest/demux/internal/muxtest"
	"github.com/patrol-city/patrol/internal/publisher/clip"
)

// TestBadInputs: files that are missing, not video or damaged give errors
// naming the path, never a panic or an abort.
func TestBadInputs(t *testing.T) {
	t.Parallel()
	src := filepath.Join(videoDir(t), "sidewalk_cctv_left_object.mp4")
	orig, err := os.ReadFile(src) // moov at the end
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	random := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	audio := filepath.Join(tmp, "audio_only.m4a")
	if err := muxtest.Remux(filepath.Join(videoDir(t), "street", "hcmc_junction_traffic.mp4"), audio, "mp4", true); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path string
		want error // nil: any error
	}{
		{"missing", filepath.Join(tmp, "no_such_file.mp4"), fs.ErrNotExist},
		{"directory", tmp, demux.ErrFormat},
		{"empty", write("empty.mp4", nil), demux.ErrFormat},
		{"text", write("notes.mp4", []byte("not a video\n")), demux.ErrFormat},
		{"random bytes", write("random.mkv", random), nil},
		{"mp4 without moov", write("truncated.mp4", orig[:len(orig)/2]), demux.ErrFormat},
		{"mp4 header only", write("header.mp4", orig[:64]), demux.ErrFormat},
		{"audio only", audio, demux.ErrNoVideo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, err := demux.Open(tc.path, demux.Options{})
			if err == nil {
				f.Close()
				t.Fatal("Open: no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Open: %v, want %v", err, tc.want)
			}
			t.Logf("%v", err)
			if !strings.Contains(err.Error(), tc.path) {
				t.Errorf("Open: %q does not name %s", err, tc.path)
			}
		})
	}
}

// TestDamagedMP4 reads MP4s (moov first) that are cut short or have a
// stretch of garbage in their media data: what is damaged is skipped and
// counted, the rest plays to io.EOF.
func TestDamagedMP4(t *testing.T) {
	t.Parallel()
	want := playAll(t, filepath.Join(videoDir(t), "sidewalk_cctv_left_object.mp4"), demux.Options{})
	var mp4 strings.Builder
	if _, err := clip.Write(&mp4, want.params, want.units); err != nil {
		t.Fatal(err)
	}
	good := []byte(mp4.String())
	cut := good[:len(good)*6/10]
	garbled := append([]byte(nil), good...)
	for i := len(good) / 2; i < len(good)/2+20_000; i++ {
		garbled[i] = 0xff
	}
	tmp := t.TempDir()
	for _, tc := range []struct {
		name    string
		data    []byte
		min     int // units at least
		skipped bool
	}{
		{"truncated", cut, 350, true}, // the sample cut in two is skipped
		{"garbled", garbled, 700, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(tmp, tc.name+".mp4")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := demux.Open(path, demux.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			n := 0
			for ; ; n++ {
				_, err := f.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Logf("Next after %d units: %v", n, err)
					if !errors.Is(err, demux.ErrRead) || !strings.Contains(err.Error(), path) {
						t.Errorf("Next: %v: want ErrRead naming the path", err)
					}
					break
				}
			}
			if n < tc.min || n >= len(want.units) || (f.Skipped() > 0) != tc.skipped {
				t.Errorf("%d units, %d skipped; want %d..%d units, skipped %v", n, f.Skipped(), tc.min, len(want.units)-1, tc.skipped)
			}
			t.Logf("%s: %d of %d units, %d skipped", tc.name, n, len(want.units), f.Skipped())
		})
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	f, err := demux.Open(filepath.Join(videoDir(t), "car-detection.mp4"), demux.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Next(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := f.Close(); err != nil {
			t.Fatalf("Close #%d: %v (Close is not idempotent)", i+1, err)
		}
	}
	if _, err := f.Next(); err == nil {
		t.Fatal("Next after Close: no error")
	}
}
