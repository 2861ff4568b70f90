package sim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/liberrors"

	"github.com/patrol-city/patrol/internal/media"
)

// ServerConfig configures the simulator's RTSP server.
type ServerConfig struct {
	// Address to listen on (default "127.0.0.1:8554"; port 0 picks a free one).
	Address string
	// User and Password, when both set, are required from readers (basic or
	// digest authentication).
	User, Password string
	// UDPRTPAddress and UDPRTCPAddress enable the UDP transport (e.g.
	// "127.0.0.1:8000" and "127.0.0.1:8001"; default: TCP only).
	UDPRTPAddress, UDPRTCPAddress string
	// TLS, when set, serves rtsps:// instead of rtsp://.
	TLS *tls.Config
}

// Server serves looping streams over RTSP, one per path.
type Server struct {
	cfg ServerConfig
	log *slog.Logger
	srv *gortsplib.Server

	mu      sync.RWMutex
	streams map[string]*served
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closed  sync.Once
}

type served struct {
	stream *Stream
	ss     *gortsplib.ServerStream
	medi   *description.Media
}

// NewServer starts listening. Add streams with Add; Close stops everything.
func NewServer(cfg ServerConfig, log *slog.Logger) (*Server, error) {
	if cfg.Address == "" {
		cfg.Address = "127.0.0.1:8554"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Resolve port 0 up front so URL() can name the real port.
	if strings.HasSuffix(cfg.Address, ":0") {
		l, err := net.Listen("tcp", cfg.Address)
		if err != nil {
			return nil, fmt.Errorf("sim: listen: %w", err)
		}
		cfg.Address = l.Addr().String()
		l.Close()
	}
	s := &Server{cfg: cfg, log: log, streams: map[string]*served{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	// A still scene at a camera's bit rate puts nearly every bit in its key
	// frames: up to a thousand packets at once, beyond gortsplib's default
	// queue of 256.
	s.srv = &gortsplib.Server{Handler: s, RTSPAddress: cfg.Address, WriteQueueSize: 4096,
		UDPRTPAddress: cfg.UDPRTPAddress, UDPRTCPAddress: cfg.UDPRTCPAddress, TLSConfig: cfg.TLS}
	if err := s.srv.Start(); err != nil {
		return nil, fmt.Errorf("sim: start rtsp server on %s: %w", cfg.Address, err)
	}
	return s, nil
}

// Address is the host:port the server listens on.
func (s *Server) Address() string { return s.cfg.Address }

// URL returns the rtsp:// address of a path, with credentials when set.
func (s *Server) URL(path string) string {
	cred := ""
	if s.cfg.User != "" {
		cred = s.cfg.User + ":" + s.cfg.Password + "@"
	}
	scheme := "rtsp://"
	if s.cfg.TLS != nil {
		scheme = "rtsps://"
	}
	return scheme + cred + s.cfg.Address + "/" + strings.TrimPrefix(path, "/")
}

// Add serves st on path, looping forever from now on.
func (s *Server) Add(path string, st *Stream) error {
	path = strings.TrimPrefix(path, "/")
	var forma format.Format
	switch st.Params.Codec {
	case media.H264:
		forma = &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: st.Params.SPS, PPS: st.Params.PPS}
	case media.H265:
		forma = &format.H265{PayloadTyp: 96, VPS: st.Params.VPS, SPS: st.Params.SPS, PPS: st.Params.PPS}
	default:
		return fmt.Errorf("sim: path %s: %w %q", path, media.ErrUnsupportedCodec, st.Params.Codec)
	}
	medi := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{forma}}
	ss := &gortsplib.ServerStream{Server: s.srv, Desc: &description.Session{Medias: []*description.Media{medi}}}
	if err := ss.Initialize(); err != nil {
		return fmt.Errorf("sim: path %s: %w", path, err)
	}
	s.mu.Lock()
	if _, dup := s.streams[path]; dup {
		s.mu.Unlock()
		ss.Close()
		return fmt.Errorf("sim: path %s already served", path)
	}
	sv := &served{stream: st, ss: ss, medi: medi}
	s.streams[path] = sv
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.play(sv, forma); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("sim stream stopped", "path", path, "err", err)
		}
	}()
	return nil
}

// play writes the stream's units in real time, looping, until Close.
func (s *Server) play(sv *served, forma format.Format) error {
	packetize, err := newPacketizer(forma)
	if err != nil {
		return err
	}
	st := sv.stream
	start := time.Now().Add(-st.Phase)
	base := st.RTPBase
	if base == 0 {
		base = rand.Uint32()
	}
	for loop := 0; st.Loops == 0 || loop < st.Loops; loop++ {
		offset := time.Duration(loop) * st.Period
		for _, au := range st.Units {
			if loop == 0 && au.PTS < st.Phase {
				continue
			}
			at := start.Add(offset + au.PTS)
			if d := time.Until(at); d > 0 {
				select {
				case <-s.ctx.Done():
					return s.ctx.Err()
				case <-time.After(d):
				}
			} else if s.ctx.Err() != nil {
				return s.ctx.Err()
			}
			pkts, err := packetize(au.NALUs)
			if err != nil {
				return fmt.Errorf("packetize: %w", err)
			}
			ts := media.RTPTimestamp(base, st.rtpTime(offset+au.PTS), media.VideoClockRate)
			for _, p := range pkts {
				p.Timestamp = ts
				if err := sv.ss.WritePacketRTPWithNTP(sv.medi, p, at); err != nil {
					return fmt.Errorf("write: %w", err)
				}
			}
		}
	}
	return nil
}

// Close stops serving and waits for every stream goroutine. It may be
// called more than once.
func (s *Server) Close() { s.closed.Do(s.close) }

func (s *Server) close() {
	s.cancel()
	s.wg.Wait()
	s.mu.Lock()
	for _, sv := range s.streams {
		sv.ss.Close()
	}
	s.streams = map[string]*served{}
	s.mu.Unlock()
	s.srv.Close()
}

func (s *Server) lookup(path string) *served {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.streams[strings.TrimPrefix(path, "/")]
}

func (s *Server) authorized(conn *gortsplib.ServerConn, req *base.Request) bool {
	if s.cfg.User == "" {
		return true
	}
	return conn.VerifyCredentials(req, s.cfg.User, s.cfg.Password)
}

// stream answers a DESCRIBE or a SETUP (the same checks for both): 401
// without the right credentials, 404 for a path that serves nothing, else
// the path's stream.
func (s *Server) stream(conn *gortsplib.ServerConn, req *base.Request, path string) (*base.Response, *gortsplib.ServerStream, error) {
	if !s.authorized(conn, req) {
		return &base.Response{StatusCode: base.StatusUnauthorized}, nil, liberrors.ErrServerAuth{}
	}
	sv := s.lookup(path)
	if sv == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, sv.ss, nil
}

// OnDescribe implements gortsplib.ServerHandlerOnDescribe.
func (s *Server) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return s.stream(ctx.Conn, ctx.Request, ctx.Path)
}

// OnSetup implements gortsplib.ServerHandlerOnSetup.
func (s *Server) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return s.stream(ctx.Conn, ctx.Request, ctx.Path)
}

// OnPlay implements gortsplib.ServerHandlerOnPlay.
func (s *Server) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	if !s.authorized(ctx.Conn, ctx.Request) {
		return &base.Response{StatusCode: base.StatusUnauthorized}, liberrors.ErrServerAuth{}
	}
	return &base.Response{StatusCode: base.StatusOK}, nil
}
