// Package media holds the small types that move between patrol's stages:
// compressed access units from a camera and decoded frames for detection.
package media

import (
	"errors"
	"image"
	"time"
)

// Codec names a video compression format carried by a camera stream.
type Codec string

// Supported codecs.
const (
	H264 Codec = "h264"
	H265 Codec = "h265"
)

// ErrUnsupportedCodec is returned for a stream whose video codec patrol cannot
// decode or store (for example MJPEG).
var ErrUnsupportedCodec = errors.New("unsupported video codec")

// Valid reports whether c is a codec patrol supports.
func (c Codec) Valid() bool { return c == H264 || c == H265 }

// AccessUnit is one compressed picture: the NAL units of one frame, without
// start codes, in decoding order.
type AccessUnit struct {
	// PTS is the presentation time relative to the start of the stream.
	PTS time.Duration
	// Recv is the server's wall-clock time when the unit was received.
	Recv time.Time
	// NALUs are the NAL units of the picture, without start codes or length
	// prefixes. Parameter sets (SPS/PPS/VPS) may be among them.
	NALUs [][]byte
	// CameraTime is the camera's own clock for this unit, from its RTCP
	// sender reports (NTP); zero until the camera has sent one.
	CameraTime time.Time
	// Key is true when the unit is a random access point (IDR / IRAP) that a
	// decoder can start from, given the stream's parameter sets.
	Key bool
}

// Size returns the payload size of the unit in bytes.
func (au *AccessUnit) Size() int {
	n := 0
	for _, nalu := range au.NALUs {
		n += len(nalu)
	}
	return n
}

// Params holds the parameter sets of a stream. VPS is only used by H.265.
type Params struct {
	Codec Codec
	VPS   []byte
	SPS   []byte
	PPS   []byte
}

// Image is a decoded picture in packed 8-bit BGR order (OpenCV's layout),
// stride = 3*Width.
type Image struct {
	Width, Height int
	BGR           []byte
}

// Crop copies the rectangle r of img (r must lie inside it and img be
// packed: len(BGR) == Width*Height*3) into a new packed picture.
func (img *Image) Crop(r image.Rectangle) Image {
	out := Image{Width: r.Dx(), Height: r.Dy(), BGR: make([]byte, r.Dx()*r.Dy()*3)}
	row := r.Dx() * 3
	for y := range r.Dy() {
		src := ((r.Min.Y+y)*img.Width + r.Min.X) * 3
		copy(out.BGR[y*row:(y+1)*row], img.BGR[src:src+row])
	}
	return out
}

// Frame is a decoded picture with its timing.
type Frame struct {
	Image
	// PTS is the presentation time relative to the start of the stream.
	PTS time.Duration
	// Recv is the server's wall-clock receive time of the access unit.
	Recv time.Time
	// CameraTime is the camera's clock for the unit (zero when unknown).
	CameraTime time.Time
}

// Mean returns the mean blue, green and red of the pixels of r (clipped to
// the picture) sampled every stepX columns and stepY rows (at least 1);
// zero for an empty region or a picture whose buffer is short.
func (img *Image) Mean(r image.Rectangle, stepX, stepY int) [3]float32 {
	r = r.Intersect(image.Rect(0, 0, img.Width, img.Height))
	if r.Empty() || len(img.BGR) < img.Width*img.Height*3 {
		return [3]float32{}
	}
	stepX, stepY = max(stepX, 1), max(stepY, 1)
	var sum [3]int
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y += stepY {
		row := img.BGR[y*img.Width*3:]
		for x := r.Min.X; x < r.Max.X; x += stepX {
			sum[0] += int(row[x*3])
			sum[1] += int(row[x*3+1])
			sum[2] += int(row[x*3+2])
			n++
		}
	}
	return [3]float32{float32(sum[0]) / float32(n), float32(sum[1]) / float32(n), float32(sum[2]) / float32(n)}
}
