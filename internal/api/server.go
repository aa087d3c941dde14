package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Config is the restapi section (plus limits a Go server adds).
type Config struct {
	Listen                  string // host:port; host "" or "*" = all interfaces
	Username, Password      string // restapi.authentication; empty = no auth
	CertFile, KeyFile       string
	KeyFilePassword         string
	CAFile                  string
	Ciphers                 string // accepted but not applied: Go does not take OpenSSL cipher strings
	VerifyClient            string // none (default), optional, required
	Allowlist               []string
	AllowlistIncludeMembers bool
	HTTPExtraHeaders        map[string]string
	HTTPSExtraHeaders       map[string]string
	ServerTokens            string // original (default), productonly, minimal

	// Limits. Zero values take the defaults in parentheses.
	MaxBodyBytes      int64         // request body limit (1 MiB)
	ReadHeaderTimeout time.Duration // (5 s)
	ReadTimeout       time.Duration // whole request incl. body (10 s)
	WriteTimeout      time.Duration // response (0 = none: an immediate restart blocks)
	IdleTimeout       time.Duration // keep-alive (30 s)
}

// Options wires the server to the rest of the daemon.
type Options struct {
	Publisher *Publisher  // required
	Node      Node        // nil: action endpoints answer 503
	Store     Store       // nil: DCS endpoints answer 503
	Peers     PeerChecker // nil: failover feasibility treats every candidate as unreachable
	Logger    *slog.Logger
	// Now and PollInterval exist for tests; defaults time.Now and 1 s.
	Now          func() time.Time
	PollInterval time.Duration
}

// Server is the REST API. Create it with New, run it with Start or Serve.
type Server struct {
	opts    Options
	log     *slog.Logger
	cfg     atomic.Pointer[runtimeConfig]
	tlsConf atomic.Pointer[tls.Config]
	handler http.Handler
	srv     *http.Server
	members memberIPCache
	doc     atomic.Pointer[cachedDoc]

	mu       sync.Mutex
	listener net.Listener
}

// runtimeConfig is the part of Config that Reconfigure may change on the fly.
type runtimeConfig struct {
	Config
	authKey    []byte // base64(user:pass), nil when auth is off
	allow      []*net.IPNet
	headers    [][2]string // extra headers in a stable order
	serverName string
	tls        bool
}

// New builds a server; it loads the TLS certificate now so that a bad one fails early.
func New(cfg Config, opts Options) (*Server, error) {
	if opts.Publisher == nil {
		return nil, errors.New("api: Options.Publisher is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	s := &Server{opts: opts, log: opts.Logger}
	if err := s.Reconfigure(cfg); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// Reconfigure applies a changed restapi section: credentials, allowlist, headers, TLS
// files and verify_client. A changed Listen is not applied: recreate the Server.
func (s *Server) Reconfigure(cfg Config) error {
	rc, err := buildRuntime(cfg)
	if err != nil {
		return err
	}
	if rc.tls {
		tc, err := buildTLS(cfg)
		if err != nil {
			return err
		}
		s.tlsConf.Store(tc)
	}
	s.cfg.Store(rc)
	return nil
}

// ReloadTLS re-reads the certificate, key and CA files (SIGHUP, POST /reload). New
// handshakes use them; established connections keep the old ones.
func (s *Server) ReloadTLS() error {
	rc := s.cfg.Load()
	if !rc.tls {
		return nil
	}
	tc, err := buildTLS(rc.Config)
	if err != nil {
		return err
	}
	s.tlsConf.Store(tc)
	return nil
}

// Handler is the HTTP handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on cfg.Listen and serves in the background. Bind failures are
// returned with Patroni's message.
func (s *Server) Start() error {
	ln, err := Listen(s.cfg.Load().Listen)
	if err != nil {
		return err
	}
	go func() {
		if err := s.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("REST API server stopped", "err", err)
		}
	}()
	return nil
}

// Addr is the listening address once Start or Serve runs.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return nil
	}
	return s.listener.Addr()
}

// Serve answers requests on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	rc := s.cfg.Load()
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: orDefault(rc.ReadHeaderTimeout, 5*time.Second),
		ReadTimeout:       orDefault(rc.ReadTimeout, 10*time.Second),
		WriteTimeout:      rc.WriteTimeout,
		IdleTimeout:       orDefault(rc.IdleTimeout, 30*time.Second),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	ln = keepAliveListener{ln}
	if rc.tls {
		srv.TLSConfig = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return s.tlsConf.Load(), nil
		}}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	s.mu.Lock()
	s.srv, s.listener = srv, ln
	s.mu.Unlock()
	return srv.Serve(ln)
}

// Shutdown stops accepting and waits for running requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Listen binds host:port the way Patroni does ("" or "*" = all interfaces).
func Listen(listen string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("invalid \"restapi\" config: expected <HOST>:<PORT> for \"listen\", but got %q", listen)
	}
	if host == "*" {
		host = ""
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("couldn't start a service on '%s:%s', please check your `restapi.listen` configuration: %w", host, port, err)
	}
	return ln, nil
}

// keepAliveListener turns on TCP keepalive (idle 10 s, 3 probes) like Patroni.
type keepAliveListener struct{ net.Listener }

func (l keepAliveListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: 10 * time.Second, Interval: 10 * time.Second, Count: 3})
	}
	return c, nil
}
