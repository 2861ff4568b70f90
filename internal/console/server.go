package console

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/patrol-city/patrol/internal/backoff"
	"github.com/patrol-city/patrol/internal/config"
	"github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/kafka/ktable"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/publisher/evidence"
	"github.com/patrol-city/patrol/internal/runonce"
)

// Deps are the console's collaborators; all are optional.
type Deps struct {
	// Logger receives the log; nil is silent.
	Logger *slog.Logger
	// Security is how to reach the brokers (TLS, SASL), shared by the
	// readers and the writers; patrol console passes
	// kafka.SecurityFor(cfg.Kafka). Default: plaintext.
	Security kafka.Security
	// Evidence reads evidence objects back; default: the store of the
	// configuration's evidence section, with its credentials.
	Evidence evidence.Opener
	// Workers fetches camera pictures from the workers; default: a
	// client with a 5 s timeout. Redirects are never followed.
	Workers *http.Client
	// Now defaults to time.Now.
	Now func() time.Time
}

// Server is the console: its HTTP server and the Kafka followers behind
// it. New, then Run, then Close.
type Server struct {
	cfg  *config.Config
	deps Deps
	log  *slog.Logger

	users     *users
	sessions  *sessions
	limiter   *limiter
	devices   *deviceSigner
	store     *Store
	pages     map[string]*template.Template // by language
	catalogue map[string]*messages          // by language
	tls       *tls.Config

	follow       *follower
	registry     *ktable.Table
	suppressions *ktable.Table
	sessionsT    *ktable.Table
	sessionsW    *broker.Writer
	verdictsW    *broker.Writer
	suppressW    *broker.Writer
	rechecksW    *broker.Writer
	registryW    *broker.Writer

	srv   *http.Server
	ln    net.Listener  // set by Run before ready is closed
	ready chan struct{} // closed once Run listens
	life  runonce.Guard
}

// New checks the configuration (users file, roles, TLS files, Kafka,
// evidence, the listen address) and parses the pages. It starts nothing:
// Run builds the Kafka clients, listens on console.listen and serves.
func New(cfg *config.Config, deps Deps) (*Server, error) {
	if cfg == nil {
		return nil, fmt.Errorf("%w: no configuration", ErrConfig)
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Workers == nil {
		deps.Workers = &http.Client{Timeout: 5 * time.Second, CheckRedirect: noRedirect}
	} else {
		c := *deps.Workers // a copy: redirects are never followed
		c.CheckRedirect = noRedirect
		deps.Workers = &c
	}
	cc := cfg.Console
	if cc.UsersFile == "" {
		return nil, fmt.Errorf("%w: console.users_file: required", ErrConfig)
	}
	if len(cfg.Kafka.Brokers) == 0 {
		return nil, fmt.Errorf("%w: kafka.brokers: required", ErrConfig)
	}
	if cfg.Kafka.CasesTopic == "" || cfg.Kafka.RechecksTopic == "" || cc.VerdictsTopic == "" || cc.SuppressionsTopic == "" || cc.SessionTTL <= 0 {
		return nil, fmt.Errorf("%w: defaults not applied (load it with config.Load or config.Parse)", ErrConfig)
	}
	if _, _, err := net.SplitHostPort(cc.Listen); err != nil {
		return nil, fmt.Errorf("%w: console.listen %q: %w", ErrConfig, cc.Listen, err)
	}
	s := &Server{cfg: cfg, deps: deps, log: deps.Logger, sessions: newSessions(cc.SessionTTL, deps.Now), limiter: newLimiter(deps.Now),
		store: newStore(cfg.Kafka.CasesTopic, cfg.Kafka.HealthTopic, cc.VerdictsTopic, cfg.Kafka.RechecksTopic, deps.Logger),
		ready: make(chan struct{})}
	var err error
	if s.devices, err = newDeviceSigner(cc.DeviceKeyFile); err != nil {
		return nil, fmt.Errorf("console: device cookie key: %w", err)
	}
	if s.users, err = loadUsers(cc.UsersFile); err != nil {
		return nil, err
	}
	if err := checkRoles(cc, s.users); err != nil {
		return nil, err
	}
	if cc.TLSCert != "" || cc.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(cc.TLSCert, cc.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("%w: console.tls_cert/tls_key: %w", ErrConfig, err)
		}
		s.tls = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	if s.deps.Evidence == nil {
		if s.deps.Evidence, err = openEvidence(cfg.Evidence); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	tz, err := time.LoadLocation(cc.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("%w: console.time_zone: %w", ErrConfig, err)
	}
	if s.catalogue, err = loadCatalogue(tz); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(s.catalogue); err != nil {
		return nil, err
	}
	// ReadTimeout: a request whose body never arrives (a login held
	// open) does not hold its connection.
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(deps.Logger.Handler(), slog.LevelWarn)}
	return s, nil
}

// openKafka builds the readers and writers (no connection yet); the
// camera registry is followed in a fleet (cluster.enabled) only.
func (s *Server) openKafka() (err error) {
	k, sec, cc := s.cfg.Kafka, s.deps.Security, s.cfg.Console
	topicsRead := []string{k.CasesTopic, k.HealthTopic, cc.VerdictsTopic, k.RechecksTopic}
	if s.follow, err = newFollower(k.Brokers, sec, topicsRead, s.store.apply, s.log); err != nil {
		return err
	}
	if s.suppressions, err = ktable.New(sec.TableConfig(k.Brokers, cc.SuppressionsTopic), ktable.Deps{Logger: s.log}); err != nil {
		return err
	}
	if s.sessionsT, err = ktable.New(sec.TableConfig(k.Brokers, cc.SessionsTopic), ktable.Deps{Logger: s.log}); err != nil {
		return err
	}
	if s.sessionsW, err = broker.NewWriter(broker.WriterConfig{Brokers: k.Brokers, Topic: cc.SessionsTopic, Security: sec}); err != nil {
		return err
	}
	s.sessions.log = &sessionLog{table: s.sessionsT, w: s.sessionsW}
	if s.verdictsW, err = broker.NewWriter(broker.WriterConfig{Brokers: k.Brokers, Topic: cc.VerdictsTopic, Security: sec}); err != nil {
		return err
	}
	if s.suppressW, err = broker.NewWriter(broker.WriterConfig{Brokers: k.Brokers, Topic: cc.SuppressionsTopic, Security: sec}); err != nil {
		return err
	}
	if s.rechecksW, err = broker.NewWriter(broker.WriterConfig{Brokers: k.Brokers, Topic: k.RechecksTopic, Security: sec}); err != nil {
		return err
	}
	if !s.cfg.Cluster.Enabled {
		return nil // no registry: the workers' cameras are in their files
	}
	if s.registry, err = ktable.New(sec.TableConfig(k.Brokers, s.cfg.Cluster.RegistryTopic), ktable.Deps{Logger: s.log}); err != nil {
		return err
	}
	s.registryW, err = broker.NewWriter(broker.WriterConfig{Brokers: k.Brokers, Topic: s.cfg.Cluster.RegistryTopic, Security: sec})
	return err
}

// Ready is closed once Run listens; Addr and URL are known from then on.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the address the console listens on ("" before Ready).
func (s *Server) Addr() string {
	if !runonce.Closed(s.ready) {
		return ""
	}
	return s.ln.Addr().String()
}

// URL is the console's address with its scheme ("" before Ready).
func (s *Server) URL() string {
	if s.Addr() == "" {
		return ""
	}
	if s.tls != nil {
		return "https://" + s.Addr()
	}
	return "http://" + s.Addr()
}

// Synced reports whether the console has read its topics to the end they
// had when it started.
func (s *Server) Synced() bool { return s.store.synced.Load() }

// Run builds the Kafka clients, listens on console.listen, creates the
// missing topics (retrying while Kafka is unreachable), follows them and
// serves until ctx ends or Close; then it stops serving within 5 s, waits
// for its goroutines and releases the clients. Run may be called once.
func (s *Server) Run(ctx context.Context) error {
	ctx, finish, err := s.life.Start(ctx)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	defer finish()
	defer s.release()
	if err := s.openKafka(); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Console.Listen)
	if err != nil {
		return fmt.Errorf("console: listen %s: %w", s.cfg.Console.Listen, err)
	}
	s.ln = ln
	close(s.ready)
	s.log.Info("console: listening", "url", s.URL())
	return s.serve(ctx)
}

// serve follows Kafka and serves HTTP until ctx ends.
func (s *Server) serve(ctx context.Context) error {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { s.follow.run(rctx) })
	if s.registry != nil {
		wg.Go(func() { _ = s.registry.Run(rctx) })
	}
	wg.Go(func() { _ = s.suppressions.Run(rctx) })
	wg.Go(func() { _ = s.sessionsT.Run(rctx) })
	wg.Go(func() { s.prepare(rctx) })
	errc := make(chan error, 1)
	wg.Go(func() {
		var err error
		if s.tls != nil {
			s.srv.TLSConfig = s.tls
			err = s.srv.ServeTLS(s.ln, "", "")
		} else {
			err = s.srv.Serve(s.ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("console: serve: %w", err)
		}
	})
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = s.srv.Shutdown(sctx)
	scancel()
	cancel()
	wg.Wait()
	return err
}

// prepare creates the console's topics when missing (1 s doubling to
// 30 s between attempts), then waits until everything they held at start
// has been read, and marks the store synced.
func (s *Server) prepare(ctx context.Context) {
	for n := 1; ; n++ {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := kafka.CreateTopics(cctx, s.deps.Security, s.cfg.Kafka.Brokers, kafka.ReplicationOf(s.cfg.Kafka), kafka.ConsoleTopics(s.cfg)...)
		if err == nil {
			err = s.sync(cctx)
		}
		cancel()
		if err == nil {
			s.store.synced.Store(true)
			s.log.Info("console: read Kafka to its end", "cases", s.store.count())
			return
		}
		if ctx.Err() != nil {
			return
		}
		d := backoff.Delay(time.Second, 30*time.Second, n)
		s.log.Warn("console: Kafka not ready, retrying", "err", err, "in", d)
		select {
		case <-ctx.Done():
			return
		case <-time.After(d):
		}
	}
}

// sync waits until the followers have read their topics to their
// current ends.
func (s *Server) sync(ctx context.Context) error {
	if err := s.follow.sync(ctx); err != nil {
		return err
	}
	if s.registry != nil {
		if err := s.registry.Sync(ctx); err != nil {
			return err
		}
	}
	if err := s.sessionsT.Sync(ctx); err != nil {
		return err
	}
	return s.suppressions.Sync(ctx)
}

// Close stops a running console and waits until Run has returned; a
// console never run has nothing to release.
func (s *Server) Close() { s.life.Close() }

// release closes the listener and the Kafka clients and writers (the end
// of Run).
func (s *Server) release() {
	if s.ln != nil {
		_ = s.ln.Close()
	}
	if s.follow != nil {
		s.follow.close()
	}
	for _, t := range []*ktable.Table{s.registry, s.suppressions, s.sessionsT} {
		if t != nil {
			t.Close()
		}
	}
	for _, w := range []*broker.Writer{s.verdictsW, s.suppressW, s.rechecksW, s.registryW, s.sessionsW} {
		if w != nil {
			_ = w.Close()
		}
	}
}
