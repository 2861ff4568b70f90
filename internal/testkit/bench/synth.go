package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/patrol-city/patrol/internal/ingest/av"
	"github.com/patrol-city/patrol/internal/media"
	"github.com/patrol-city/patrol/internal/testkit/sim"
)

// SimSpec describes the synthetic camera stream a simulator serves: one
// H.264 loop, encoded once and served on Paths paths named cam0, cam1, ...
type SimSpec struct {
	// Paths is the number of RTSP paths (cameras) serving the loop.
	Paths int
	// Width and Height of the picture (even).
	Width, Height int
	// FPS is the frame rate and GOP the key-frame interval in frames.
	FPS, GOP int
	// Bitrate is the encoder's target in bits/s.
	Bitrate int
	// Seconds is the loop length; it is rounded up to a whole number of GOPs.
	Seconds int
	// SubWidth, SubHeight and SubBitrate describe an optional sub-stream
	// served beside each path as "<path>-sub" (0: none): the same scene,
	// frame rate and GOP at a smaller size, as IP cameras offer.
	SubWidth, SubHeight, SubBitrate int
	// BFrames between reference frames of the main stream (default 0).
	BFrames int
}

// Stream is the simulated camera stream of a benchmark. Zero fields take
// the defaults of a common IP camera: 1920x1080, 25 fps, GOP 50 (2 s),
// 4 Mbit/s, a 10 s loop.
type Stream struct {
	// Width and Height of the picture (default 1920x1080).
	Width, Height int
	// FPS is the frame rate (default 25).
	FPS int
	// GOP is the key-frame interval in frames (default 50).
	GOP int
	// Bitrate is the encoder's target in bits/s (default 4_000_000).
	Bitrate int
	// LoopSeconds is the length of the encoded loop (default 10).
	LoopSeconds int
}

func (s *Stream) setDefaults() {
	orDefault(&s.Width, 1920)
	orDefault(&s.Height, 1080)
	orDefault(&s.FPS, 25)
	orDefault(&s.GOP, 50)
	orDefault(&s.Bitrate, 4_000_000)
	orDefault(&s.LoopSeconds, 10)
}

// spec is the simulator's specification of paths cameras of this stream.
func (s Stream) spec(paths int) SimSpec {
	return SimSpec{Paths: paths, Width: s.Width, Height: s.Height, FPS: s.FPS, GOP: s.GOP, Bitrate: s.Bitrate, Seconds: s.LoopSeconds}
}

// urlCount is the number of URLs the simulator announces: one per path,
// twice that with a sub-stream (the sub-streams after the main ones).
func (s SimSpec) urlCount() int {
	if s.SubWidth > 0 {
		return 2 * s.Paths
	}
	return s.Paths
}

// Args renders the spec as flags for the hidden simulator subcommand
// (--paths, --width, --height, --fps, --gop, --bitrate, --seconds).
func (s SimSpec) Args() []string {
	kv := []struct {
		k string
		v int
	}{{"paths", s.Paths}, {"width", s.Width}, {"height", s.Height}, {"fps", s.FPS},
		{"gop", s.GOP}, {"bitrate", s.Bitrate}, {"seconds", s.Seconds},
		{"sub-width", s.SubWidth}, {"sub-height", s.SubHeight}, {"sub-bitrate", s.SubBitrate}, {"bframes", s.BFrames}}
	var out []string
	for _, x := range kv {
		out = append(out, "--"+x.k, strconv.Itoa(x.v))
	}
	return out
}

// frames is the loop length in frames: Seconds*FPS rounded up to whole GOPs,
// so every loop starts on a key frame.
func (s SimSpec) frames() int {
	n := s.Seconds * s.FPS
	if n < s.GOP {
		n = s.GOP
	}
	if r := n % s.GOP; r != 0 {
		n += s.GOP - r
	}
	return n
}

func (s SimSpec) validate() error {
	if s.Paths <= 0 || s.Width <= 0 || s.Height <= 0 || s.FPS <= 0 || s.GOP <= 0 || s.Bitrate <= 0 || s.Seconds <= 0 {
		return fmt.Errorf("bench: invalid simulator spec %+v", s)
	}
	if s.SubWidth < 0 || s.SubHeight < 0 || s.SubBitrate < 0 || (s.SubWidth > 0) != (s.SubHeight > 0 && s.SubBitrate > 0) {
		return fmt.Errorf("bench: sub-stream needs width, height and bit rate: %+v", s)
	}
	return nil
}

// PathName is the RTSP path of camera i: "cam<i>".
func PathName(i int) string { return "cam" + strconv.Itoa(i) }

// EncodeSynthetic encodes the spec's camera-like loop once: a static
// textured street scene, a few vehicles and pedestrians moving across it,
// and per-frame sensor noise, so key and predicted frames have realistic
// sizes at the target bit rate.
func EncodeSynthetic(spec SimSpec) (*sim.Stream, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	src := newSynthSource(spec.Width, spec.Height, spec.FPS)
	return sim.EncodeFrames(src, spec.frames(), av.EncoderConfig{
		Codec: media.H264, Width: spec.Width, Height: spec.Height,
		FPS: spec.FPS, GOP: spec.GOP, Bitrate: spec.Bitrate, BFrames: spec.BFrames,
	})
}

// ServeSynthetic encodes the loop, serves it on spec.Paths paths of a
// sim.Server listening on listen (port 0 picks a free one), writes one
// "SIM-URL <url>" line per path and then "SIM-READY" to out, and serves
// until ctx ends.
func ServeSynthetic(ctx context.Context, spec SimSpec, listen string, out io.Writer, log *slog.Logger) error {
	urls, stop, err := startSynthetic(spec, listen, log)
	if err != nil {
		return err
	}
	defer stop()
	for _, u := range urls {
		if _, err := fmt.Fprintf(out, "SIM-URL %s\n", u); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintln(out, "SIM-READY"); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// InProcessSim returns a SpawnFunc that serves the synthetic loop from the
// calling process on 127.0.0.1 (free port). Its CPU time and memory are then
// counted with patrol's; it is meant for tests, not for figures.
func InProcessSim(log *slog.Logger) SpawnFunc {
	return func(_ context.Context, spec SimSpec) ([]string, func(), error) {
		return startSynthetic(spec, "127.0.0.1:0", log)
	}
}

func startSynthetic(spec SimSpec, listen string, log *slog.Logger) ([]string, func(), error) {
	if log == nil {
		log = slog.Default()
	}
	t0 := time.Now()
	st, err := EncodeSynthetic(spec)
	if err != nil {
		return nil, nil, err
	}
	size := 0
	for _, au := range st.Units {
		size += au.Size()
	}
	log.Info("synthetic stream encoded", "frames", len(st.Units), "took", time.Since(t0).Round(time.Millisecond),
		"mbit_s", float64(size)*8/st.Period.Seconds()/1e6)
	srv, err := sim.NewServer(sim.ServerConfig{Address: listen}, log)
	if err != nil {
		return nil, nil, err
	}
	var sub *sim.Stream
	if spec.SubWidth > 0 {
		subSpec := spec
		subSpec.Width, subSpec.Height, subSpec.Bitrate, subSpec.BFrames = spec.SubWidth, spec.SubHeight, spec.SubBitrate, 0
		if sub, err = EncodeSynthetic(subSpec); err != nil {
			srv.Close()
			return nil, nil, err
		}
	}
	var urls, subURLs []string
	for i := 0; i < spec.Paths; i++ {
		// Independent cameras: each path's loop at its own phase (a
		// sub-stream at its camera's phase).
		phase := time.Duration(i) * st.Period / time.Duration(spec.Paths)
		path := *st
		path.Phase = phase
		if err := srv.Add(PathName(i), &path); err != nil {
			srv.Close()
			return nil, nil, err
		}
		urls = append(urls, srv.URL(PathName(i)))
		if sub != nil {
			sp := *sub
			sp.Phase = phase
			if err := srv.Add(PathName(i)+"-sub", &sp); err != nil {
				srv.Close()
				return nil, nil, err
			}
			subURLs = append(subURLs, srv.URL(PathName(i)+"-sub"))
		}
	}
	return append(urls, subURLs...), srv.Close, nil
}

// synthSource draws the synthetic scene.
type synthSource struct {
	w, h, fps int
	bg        []byte
	movers    []mover
	rng       *rand.Rand
}

// mover is a rectangle crossing the picture at constant speed, wrapping.
type mover struct {
	x0, y0, vx, vy float64 // position in pixels, speed in pixels per second
	w, h           int
	bgr            [3]byte
}

func newSynthSource(w, h, fps int) *synthSource {
	rng := rand.New(rand.NewPCG(1, 2))
	s := &synthSource{w: w, h: h, fps: fps, bg: make([]byte, 3*w*h), rng: rng}
	horizon := h * 2 / 5
	// Sky-to-ground gradient with static texture (facades, asphalt grain).
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := 3 * (y*w + x)
			var c [3]int
			if y < horizon {
				c = [3]int{200 - 60*y/horizon, 170 - 40*y/horizon, 140}
			} else {
				g := 90 + 30*(y-horizon)/(h-horizon)
				c = [3]int{g, g, g + 5}
			}
			t := rng.IntN(13) - 6
			for k := range 3 {
				s.bg[i+k] = clamp(c[k] + t)
			}
		}
	}
	// Buildings with windows along the horizon.
	for x := 0; x < w; {
		bw := w/20 + rng.IntN(w/10+1)
		bh := horizon/3 + rng.IntN(horizon/2+1)
		col := [3]int{60 + rng.IntN(120), 60 + rng.IntN(120), 60 + rng.IntN(120)}
		for y := horizon - bh; y < horizon; y++ {
			for xx := x; xx < min(x+bw, w); xx++ {
				lit := (y/(h/60+1))%2 == 0 && (xx/(w/100+1))%2 == 0
				i := 3 * (y*w + xx)
				for k := range 3 {
					v := col[k] + int(s.bg[i+k]) - 128
					if lit {
						v += 70
					}
					s.bg[i+k] = clamp(v)
				}
			}
		}
		x += bw + w/100
	}
	// Vehicles on the road, pedestrians on the pavement.
	for i := range 8 {
		lane := horizon + (h-horizon)*(i%4+1)/6
		dir := float64(1 - 2*(i%2))
		s.movers = append(s.movers, mover{
			x0: float64(rng.IntN(w)), y0: float64(lane), vx: dir * float64(w) / (4 + float64(rng.IntN(6))),
			w: w/12 + rng.IntN(w/24+1), h: h/14 + rng.IntN(h/28+1),
			bgr: [3]byte{byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))},
		})
	}
	for range 6 {
		s.movers = append(s.movers, mover{
			x0: float64(rng.IntN(w)), y0: float64(horizon + rng.IntN(h-horizon)),
			vx: float64(rng.IntN(w/20+1)) - float64(w/40), vy: float64(rng.IntN(h/20+1)) - float64(h/40),
			w: w/80 + 2, h: h/16 + 2, bgr: [3]byte{byte(rng.IntN(256)), 40, byte(rng.IntN(256))},
		})
	}
	return s
}

// Frame implements sim.FrameSource.
func (s *synthSource) Frame(i int) *media.Image {
	pix := make([]byte, len(s.bg))
	copy(pix, s.bg)
	t := float64(i) / float64(s.fps)
	for _, m := range s.movers {
		x := wrap(int(m.x0+m.vx*t), s.w)
		y := wrap(int(m.y0+m.vy*t), s.h)
		for yy := y; yy < min(y+m.h, s.h); yy++ {
			for xx := x; xx < min(x+m.w, s.w); xx++ {
				j := 3 * (yy*s.w + xx)
				// A little structure inside the object (windows, shading).
				shade := byte(0)
				if (yy-y)*3 < m.h && (xx-x)*5%m.w < m.w/2 {
					shade = 50
				}
				pix[j], pix[j+1], pix[j+2] = m.bgr[0]-shade, m.bgr[1]-shade, m.bgr[2]-shade
			}
		}
	}
	// Sensor noise: uniform in [-6, 6] on every sample.
	for j := 0; j < len(pix); j += 8 {
		r := s.rng.Uint64()
		for k := 0; k < 8 && j+k < len(pix); k++ {
			pix[j+k] = clamp(int(pix[j+k]) + int(r>>(8*k)&0xff)%13 - 6)
		}
	}
	return &media.Image{Width: s.w, Height: s.h, BGR: pix}
}

func wrap(v, n int) int {
	v %= n
	if v < 0 {
		v += n
	}
	return v
}

func clamp(v int) byte {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return byte(v)
}
