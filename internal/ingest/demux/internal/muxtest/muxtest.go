// Package muxtest writes containers for ingest/demux's tests with
// libavformat: Remux copies one stream of a file into another container
// (Matroska, MPEG-TS, an audio-only MP4, ...) without re-encoding. It is
// test tooling; production code never imports it.
package muxtest

/*
#cgo pkg-config: libavformat libavcodec libavutil
#include <stdlib.h>
#include "muxtest.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Remux copies the best video stream of src (the best audio stream when
// audio is set) into dst, a new file in libavformat's format (e.g.
// "matroska", "mpegts", "mp4"), keeping the packets and their timestamps.
// The muxer converts the bitstream where the container needs it (AVCC to
// Annex-B for MPEG-TS).
func Remux(src, dst, format string, audio bool) error {
	csrc, cdst, cfmt := C.CString(src), C.CString(dst), C.CString(format)
	defer C.free(unsafe.Pointer(csrc))
	defer C.free(unsafe.Pointer(cdst))
	defer C.free(unsafe.Pointer(cfmt))
	caudio := C.int(0)
	if audio {
		caudio = 1
	}
	if ret := C.pmx_remux(csrc, cdst, cfmt, caudio); ret < 0 {
		var buf [128]C.char
		C.pmx_strerror(ret, &buf[0], C.size_t(len(buf)))
		return fmt.Errorf("muxtest: remux %s to %s (%s): %s", src, dst, format, C.GoString(&buf[0]))
	}
	return nil
}
