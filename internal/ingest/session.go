package ingest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/liberrors"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/pion/rtp"

	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/media"
)

// ErrStalled is returned by a session that received no access unit for the
// stall timeout.
var ErrStalled = errors.New("stream stalled")

// ErrAuth is returned when the camera rejects the credentials of its URL.
var ErrAuth = errors.New("camera rejected the credentials (check user and password in the URL)")

// ErrNotRTSP is returned when the camera answers with something that is not RTSP.
var ErrNotRTSP = errors.New("camera answered with something that is not RTSP")

// describeError classifies a DESCRIBE failure for operators.
func describeError(err error) error {
	var bad liberrors.ErrClientBadStatusCode
	if errors.As(err, &bad) {
		switch bad.Code {
		case base.StatusUnauthorized, base.StatusForbidden:
			return fmt.Errorf("describe: %w: %w", ErrAuth, err)
		case base.StatusNotFound:
			return fmt.Errorf("describe: stream path not found on the camera: %w", err)
		}
		return fmt.Errorf("describe: %w", err)
	}
	var ne net.Error
	var ve *tls.CertificateVerificationError
	var re tls.RecordHeaderError
	switch {
	case errors.As(err, &ve) || strings.Contains(err.Error(), "x509:"):
		return fmt.Errorf("describe: %w", err)
	case errors.As(err, &re):
		return fmt.Errorf("describe: %w: %w", ErrNotRTSP, err)
	case errors.As(err, &ne), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("describe: %w", err)
	}
	// Anything else the RTSP client could not parse: the device answered,
	// but not in RTSP.
	return fmt.Errorf("describe: %w: %w", ErrNotRTSP, err)
}

// ErrNoVideo is returned for a stream without an H.264 or H.265 video track.
var ErrNoVideo = fmt.Errorf("no H.264 or H.265 video track: %w", media.ErrUnsupportedCodec)

// unitSink receives the access units of a session, in order, from the
// session's reader goroutine. Params carries the parameter sets known so far.
type unitSink func(au media.AccessUnit, params media.Params)

// rtpToUnits turns the RTP packets of one video format into access units.
type rtpToUnits interface {
	decode(pkt *rtp.Packet) ([][]byte, error)
}

// session is one RTSP connection: it describes, sets up the video track,
// plays, and hands access units to the sink until an error or ctx ends.
func runSession(ctx context.Context, cfg *Config, now func() time.Time, counters *counters, sink unitSink, onPlaying func(media.Codec)) error {
	u, err := base.ParseURL(cfg.URL)
	if err != nil {
		return fmt.Errorf("parse url: invalid camera address")
	}
	c := &gortsplib.Client{
		Scheme:      u.Scheme,
		Host:        u.Host,
		ReadTimeout: cfg.ReadTimeout,
		TLSConfig:   cfg.TLS,
	}
	switch cfg.Transport {
	case "tcp":
		v := gortsplib.TransportTCP
		c.Transport = &v
	case "udp":
		v := gortsplib.TransportUDP
		c.Transport = &v
	}
	// gortsplib's requests wait up to ReadTimeout for an answer and take no
	// context: closing the connection is what cancels a handshake with a
	// camera that accepted TCP and never answers.
	conns := &connSet{}
	c.DialContext = conns.dial
	stopCancel := context.AfterFunc(ctx, conns.closeAll)
	defer stopCancel()
	if err := c.Start2(); err != nil {
		return fmt.Errorf("connect: %w", scrub(err, cfg.URL))
	}
	defer c.Close()

	desc, _, err := c.Describe(u)
	if err != nil {
		return describeError(scrub(err, cfg.URL))
	}
	medi, codec, params, depay, err := pickVideo(desc)
	if err != nil {
		return err
	}
	if _, err := c.Setup(desc.BaseURL, medi, 0, 0); err != nil {
		return fmt.Errorf("setup: %w", scrub(err, cfg.URL))
	}

	lastUnit := make(chan struct{}, 1)
	c.OnPacketRTPAny(func(m *description.Media, _ format.Format, pkt *rtp.Packet) {
		if m != medi {
			return
		}
		counters.packets.Add(1)
		pts, ok := c.PacketPTS2(medi, pkt)
		if !ok {
			return
		}
		nalus, err := depay.decode(pkt)
		if err != nil || len(nalus) == 0 {
			return
		}
		au := media.AccessUnit{
			PTS:   media.TicksToDuration(pts, int64(medi.Formats[0].ClockRate())),
			Recv:  now(),
			NALUs: cloneNALUs(nalus),
		}
		if ntp, ok := c.PacketNTP(medi, pkt); ok {
			au.CameraTime = ntp
		}
		params = params.InBand(nalus)
		au.Key = isKey(codec, nalus)
		sink(au, params)
		select {
		case lastUnit <- struct{}{}:
		default:
		}
	})
	if _, err := c.Play(nil); err != nil {
		return fmt.Errorf("play: %w", scrub(err, cfg.URL))
	}
	onPlaying(codec)

	waitErr := make(chan error, 1)
	go func() { waitErr <- c.Wait() }()
	stall := time.NewTimer(cfg.StallTimeout)
	defer stall.Stop()
	for {
		select {
		case <-ctx.Done():
			c.Close()
			<-waitErr //nolint:errcheck // Wait's error is the one this Close caused; ctx.Err() says why
			return ctx.Err()
		case err := <-waitErr:
			return fmt.Errorf("stream: %w", scrub(err, cfg.URL))
		case <-lastUnit:
			stall.Reset(cfg.StallTimeout)
		case <-stall.C:
			c.Close()
			<-waitErr //nolint:errcheck // likewise: the stall is the error
			return fmt.Errorf("%w: no video for %v", ErrStalled, cfg.StallTimeout)
		}
	}
}

func pickVideo(desc *description.Session) (*description.Media, media.Codec, media.Params, rtpToUnits, error) {
	var f264 *format.H264
	if medi := desc.FindFormat(&f264); medi != nil {
		dec, err := f264.CreateDecoder()
		if err != nil {
			return nil, "", media.Params{}, nil, fmt.Errorf("h264 depacketizer: %w", err)
		}
		p := media.Params{Codec: media.H264, SPS: f264.SPS, PPS: f264.PPS}
		return medi, media.H264, p, depayFunc(dec.Decode), nil
	}
	var f265 *format.H265
	if medi := desc.FindFormat(&f265); medi != nil {
		dec, err := f265.CreateDecoder()
		if err != nil {
			return nil, "", media.Params{}, nil, fmt.Errorf("h265 depacketizer: %w", err)
		}
		p := media.Params{Codec: media.H265, VPS: f265.VPS, SPS: f265.SPS, PPS: f265.PPS}
		return medi, media.H265, p, depayFunc(dec.Decode), nil
	}
	var found []string
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			found = append(found, f.Codec())
		}
	}
	return nil, "", media.Params{}, nil, fmt.Errorf("%w (stream offers %v)", ErrNoVideo, found)
}

type depayFunc func(*rtp.Packet) ([][]byte, error)

func (f depayFunc) decode(p *rtp.Packet) ([][]byte, error) { return f(p) }

func isKey(c media.Codec, nalus [][]byte) bool {
	if c == media.H265 {
		return h265.IsRandomAccess(nalus)
	}
	return h264.IsRandomAccess(nalus)
}

// scrub removes the camera's password from an error message: gortsplib
// errors may quote the URL. The user-info is replaced as a field
// ("user:pass@" as written in the configuration or as a URL encodes it),
// never by searching the message for the password's text, which a short
// password would find inside other words ("dial tcp" with password "a").
func scrub(err error, raw string) error {
	if err == nil {
		return nil
	}
	_, rest, ok := strings.Cut(raw, "://")
	at := strings.LastIndexByte(rest, '@')
	if !ok || at < 0 {
		return err
	}
	user, pass, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass || pass == "" {
		return err
	}
	msg := err.Error()
	redacted := strings.ReplaceAll(msg, raw, config.Redact(raw))
	hidden := user + ":xxxxx@"
	for _, info := range []string{rest[:at], url.UserPassword(user, pass).String()} {
		redacted = strings.ReplaceAll(redacted, info+"@", hidden)
	}
	if dec, err := url.PathUnescape(pass); err == nil && dec != pass {
		redacted = strings.ReplaceAll(redacted, url.UserPassword(user, dec).String()+"@", hidden)
	}
	if redacted == msg {
		return err
	}
	return &scrubbed{msg: redacted, err: err}
}

type scrubbed struct {
	msg string
	err error
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error { return s.err }

// cloneNALUs copies the units into one allocation, since the RTSP client may
// reuse its buffers after the callback returns.
func cloneNALUs(nalus [][]byte) [][]byte {
	n := 0
	for _, x := range nalus {
		n += len(x)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(nalus))
	for i, x := range nalus {
		start := len(buf)
		buf = append(buf, x...)
		out[i] = buf[start:len(buf):len(buf)]
	}
	return out
}
