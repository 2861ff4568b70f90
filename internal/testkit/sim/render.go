package sim

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocv.io/x/gocv"

	"github.com/patrol-city/patrol/internal/media"
)

// Renderer draws a scene's frames. It owns OpenCV matrices: Close it.
type Renderer struct {
	sc      *Scene
	bg      gocv.Mat
	sprites []gocv.Mat // per actor, at drawn size
}

// NewRenderer loads the scene's background and sprites from assetDir.
func NewRenderer(sc *Scene, assetDir string) (*Renderer, error) {
	w, h := sc.Size[0], sc.Size[1]
	bg, err := loadPicture(filepath.Join(assetDir, sc.Background.Image), sc.Background.Frame)
	if err != nil {
		return nil, fmt.Errorf("scene %s: background: %w", sc.Name, err)
	}
	r := &Renderer{sc: sc, bg: gocv.NewMat()}
	gocv.Resize(bg, &r.bg, image.Pt(w, h), 0, 0, gocv.InterpolationArea)
	bg.Close()
	cache := map[string]gocv.Mat{}
	defer func() {
		for _, m := range cache {
			m.Close()
		}
	}()
	for i := range sc.Actors {
		a := &sc.Actors[i]
		key := fmt.Sprintf("%s#%d", a.Sprite.Image, a.Sprite.Frame)
		src, ok := cache[key]
		if !ok {
			src, err = loadPicture(filepath.Join(assetDir, a.Sprite.Image), a.Sprite.Frame)
			if err != nil {
				r.Close()
				return nil, fmt.Errorf("scene %s: actor %s: %w", sc.Name, a.ID, err)
			}
			cache[key] = src
		}
		b := a.Sprite.Box
		crop := image.Rect(b[0], b[1], b[0]+b[2], b[1]+b[3]).Intersect(image.Rect(0, 0, src.Cols(), src.Rows()))
		if crop.Dx() < 2 || crop.Dy() < 2 {
			r.Close()
			return nil, fmt.Errorf("scene %s: actor %s: sprite box %v outside %s (%dx%d)",
				sc.Name, a.ID, b, a.Sprite.Image, src.Cols(), src.Rows())
		}
		box, _ := a.BoxAt(a.Path[0].T, w, h)
		if box.Dx() < 2 || box.Dy() < 2 {
			r.Close()
			return nil, fmt.Errorf("scene %s: actor %s: drawn size %v too small", sc.Name, a.ID, box.Size())
		}
		roi := src.Region(crop)
		sp := gocv.NewMat()
		gocv.Resize(roi, &sp, box.Size(), 0, 0, gocv.InterpolationArea)
		roi.Close()
		if a.Sprite.Flip {
			gocv.Flip(sp, &sp, 1)
		}
		r.sprites = append(r.sprites, sp)
	}
	return r, nil
}

// loadPicture reads an image file, or frame n of a video file, as BGR.
func loadPicture(path string, n int) (gocv.Mat, error) {
	if _, err := os.Stat(path); err != nil {
		return gocv.Mat{}, err
	}
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".mp4" || ext == ".mkv" || ext == ".avi" || ext == ".mov" {
		vc, err := gocv.VideoCaptureFile(path)
		if err != nil {
			return gocv.Mat{}, fmt.Errorf("open video %s: %w", path, err)
		}
		defer vc.Close()
		m := gocv.NewMat()
		for i := 0; i <= n; i++ {
			if !vc.Read(&m) || m.Empty() {
				m.Close()
				return gocv.Mat{}, fmt.Errorf("video %s has no frame %d", path, n)
			}
		}
		return m, nil
	}
	m := gocv.IMRead(path, gocv.IMReadColor)
	if m.Empty() {
		m.Close()
		return gocv.Mat{}, fmt.Errorf("cannot read image %s", path)
	}
	return m, nil
}

// Frame renders frame i (time i/FPS) into a BGR image.
func (r *Renderer) Frame(i int) *media.Image {
	sc := r.sc
	w, h := sc.Size[0], sc.Size[1]
	t := time.Duration(i) * time.Second / time.Duration(sc.FPS)
	for _, iv := range sc.Cover {
		if iv.contains(t) {
			// A covered lens: nearly black, with the sensor's noise.
			img := &media.Image{Width: w, Height: h, BGR: make([]byte, w*h*3)}
			for k := range img.BGR {
				img.BGR[k] = 12
			}
			if sc.Noise > 0 {
				addNoise(img.BGR, sc.Noise, uint64(i))
			}
			return img
		}
	}
	for _, iv := range sc.Freeze {
		if iv.contains(t) {
			// The frozen picture is the one of the interval's start, with
			// its noise: identical frames, as a hung encoder sends.
			i = int(iv.From * time.Duration(sc.FPS) / time.Second)
			t = iv.From
		}
	}
	canvas := r.bg.Clone()
	defer canvas.Close()
	frame := image.Rect(0, 0, w, h)
	for k := range sc.Actors {
		box, ok := sc.Actors[k].BoxAt(t, w, h)
		if !ok {
			continue
		}
		vis := box.Intersect(frame)
		if vis.Dx() < 1 || vis.Dy() < 1 {
			continue
		}
		sp := r.sprites[k]
		// The drawn size is fixed per actor; clip the sprite to the frame.
		src := vis.Sub(box.Min).Intersect(image.Rect(0, 0, sp.Cols(), sp.Rows()))
		dst := image.Rectangle{Min: vis.Min, Max: vis.Min.Add(src.Size())}
		srcROI := sp.Region(src)
		dstROI := canvas.Region(dst)
		srcROI.CopyTo(&dstROI)
		srcROI.Close()
		dstROI.Close()
	}
	buf, _ := canvas.DataPtrUint8()
	img := &media.Image{Width: w, Height: h, BGR: append([]byte(nil), buf...)}
	for _, l := range sc.Lighting {
		if t >= l.From && t < l.To {
			scale(img.BGR, l.Gain)
		}
	}
	if sc.Noise > 0 {
		addNoise(img.BGR, sc.Noise, uint64(i))
	}
	return img
}

// scale multiplies every value by gain, saturating.
//
// The two per-byte loops of rendering are not instrumented by the race
// detector (they touch only the frame being made): under -race they
// would cost more than the replay of a scene.
//
//go:norace
func scale(buf []byte, gain float64) {
	var lut [256]byte
	for v := range lut {
		lut[v] = byte(min(255, float64(v)*gain+0.5))
	}
	for i, v := range buf {
		buf[i] = lut[v]
	}
}

// Close releases the renderer's matrices.
func (r *Renderer) Close() {
	r.bg.Close()
	for _, m := range r.sprites {
		m.Close()
	}
	r.sprites = nil
}

// addNoise adds deterministic uniform noise in [-amp, amp] (seeded by the
// frame number, so a frozen frame repeats exactly).
//
//go:norace
func addNoise(buf []byte, amp int, seed uint64) {
	x := seed*0x9E3779B97F4A7C15 + 1
	span := uint64(2*amp + 1)
	if span == 7 { // amp 3, the scenes' usual noise: a constant divisor
		for i := range buf {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			v := int(buf[i]) + int(x%7) - 3
			buf[i] = byte(max(0, min(255, v)))
		}
		return
	}
	for i := range buf {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		v := int(buf[i]) + int(x%span) - amp
		buf[i] = byte(max(0, min(255, v)))
	}
}
