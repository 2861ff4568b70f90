package ingest

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"

	"github.com/patrol-city/patrol/internal/media"
)

// mjpegServer offers one MJPEG video track.
type mjpegServer struct{ stream *gortsplib.ServerStream }

func (h *mjpegServer) OnDescribe(*gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return &base.Response{StatusCode: base.StatusOK}, h.stream, nil
}

func (h *mjpegServer) OnSetup(*gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return &base.Response{StatusCode: base.StatusOK}, h.stream, nil
}

func (h *mjpegServer) OnPlay(*gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// TestUnsupportedCodec: an MJPEG camera is a clear per-camera error.
func TestUnsupportedCodec(t *testing.T) {
	t.Parallel()
	h := &mjpegServer{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	srv := &gortsplib.Server{Handler: h, RTSPAddress: addr}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	h.stream = &gortsplib.ServerStream{Server: srv, Desc: &description.Session{Medias: []*description.Media{{
		Type: description.MediaTypeVideo, Formats: []format.Format{&format.MJPEG{}},
	}}}}
	if err := h.stream.Initialize(); err != nil {
		t.Fatal(err)
	}
	defer h.stream.Close()

	var got error
	cam, err := New(Config{CameraID: "mjpeg", URL: "rtsp://" + addr + "/cam", BackoffBase: 100 * time.Millisecond, OfflineAfter: 1},
		Deps{NewDecoder: newDecoder, OnFrame: func(media.Frame) {}, OnState: func(s State, reason string) {
			if s == StateOffline && got == nil {
				got = errors.New(reason)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = cam.Run(ctx)
	if got == nil || !strings.Contains(got.Error(), media.ErrUnsupportedCodec.Error()) || !strings.Contains(got.Error(), "JPEG") {
		t.Fatalf("offline reason = %v, want an unsupported codec error naming MJPEG", got)
	}
	t.Log(got)
}
