package av

import (
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/patrol-city/patrol/media"
)

func rss() string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS") {
			return l
		}
	}
	return ""
}

func TestTmpLeak(t *testing.T) {
	for _, codec := range codecs {
		aus, _ := encodeN(t, codec, 320, 240, 3, 2)
		bad := badInputs(codec, aus[0].nalus, aus[1].nalus)
		run := func(n int) {
			for i := 0; i < n; i++ {
				e, _ := NewEncoder(EncoderConfig{Codec: codec, Width: 64, Height: 48, FPS: 10})
				e.Encode(synthFrame(64, 48, i))
				e.Close()
				d, _ := NewDecoder(codec)
				for _, au := range aus {
					d.Decode(au.nalus)
				}
				for _, b := range bad {
					d.Decode(b)
				}
				d.Decode(aus[0].nalus)
				d.Close()
			}
			runtime.GC()
		}
		run(200)
		t.Logf("%s after 200: %s", codec, rss())
		run(1000)
		t.Logf("%s after 1200: %s", codec, rss())
	}
	_ = media.H264
}
