package zookeeper

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// errLinkDown: our dialer refuses to connect (session abandoned, or idle; see idle.go).
var errLinkDown = errors.New("connection deliberately down")

// session is one ZooKeeper session: a go-zookeeper Conn (which reconnects by itself,
// keeping the session while it can), the link it dials through, and the watches armed
// on it. A restart replaces the whole session.
type session struct {
	conn *zk.Conn
	link *link
	gen  uint64

	authed  atomic.Bool // auth_data accepted (or none configured)
	authErr atomic.Value
	stop    chan struct{} // closed when the session is closed or abandoned

	mu    sync.Mutex
	armed map[string]bool // paths with a pending watch, so Load does not pile them up
}

// arm reports whether path needs a new watch, marking it armed.
func (se *session) arm(path string) bool {
	se.mu.Lock()
	defer se.mu.Unlock()
	if se.armed[path] {
		return false
	}
	se.armed[path] = true
	return true
}

func (se *session) disarm(path string) {
	se.mu.Lock()
	defer se.mu.Unlock()
	delete(se.armed, path)
}

// abandon drops the TCP connection without closing the session: the server keeps our
// ephemeral nodes until the session times out, exactly as if this process had died.
func (se *session) abandon() {
	se.link.kill()
	se.shut()
}

// close ends the session on the server, which deletes its ephemeral nodes at once.
func (se *session) close() {
	se.shut()
	se.link.kill()
}

func (se *session) shut() {
	select {
	case <-se.stop:
	default:
		close(se.stop)
	}
	se.conn.Close()
}

// link is the dialer go-zookeeper uses. It remembers the current TCP (or TLS)
// connection so that we can drop it: to abandon a session, to stop keeping an idle
// session alive, or to move off a server that stopped answering.
type link struct {
	tls     *tls.Config
	timeout func() time.Duration

	mu        sync.Mutex
	conn      net.Conn
	suspended bool
	dead      bool
}

func (l *link) dial(network, addr string, _ time.Duration) (net.Conn, error) {
	if !l.up() {
		return nil, errLinkDown
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout())
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if l.tls != nil {
		cfg := l.tls.Clone()
		if host, _, err := net.SplitHostPort(addr); err == nil && cfg.ServerName == "" {
			cfg.ServerName = host
		}
		tc := tls.Client(c, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
		}
		c = tc
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dead || l.suspended {
		c.Close()
		return nil, errLinkDown
	}
	l.conn = c
	return &handshakeConn{Conn: c, limit: l.timeout()}, nil
}

// handshakeConn bounds the wait for the server's answer to the session handshake.
// go-zookeeper waits 10 x its read timeout (up to 200s with ttl 30) for it, so a server
// that accepts connections but does not answer (a hung JVM) would hold us for longer than
// the session lives instead of letting the client try the next server.
type handshakeConn struct {
	net.Conn
	limit    time.Duration
	answered atomic.Bool
}

func (c *handshakeConn) SetReadDeadline(t time.Time) error {
	if !c.answered.Load() && !t.IsZero() {
		if limit := time.Now().Add(c.limit); t.After(limit) {
			t = limit
		}
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *handshakeConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.answered.Store(true)
	}
	return n, err
}

func (l *link) up() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.dead && !l.suspended
}

// drop closes the current connection; go-zookeeper reconnects (to the next server) and
// resumes the session.
func (l *link) drop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		l.conn.Close()
		l.conn = nil
	}
}

func (l *link) kill() {
	l.mu.Lock()
	l.dead = true
	l.mu.Unlock()
	l.drop()
}

// suspend drops the connection and refuses to dial until resume: the server then
// expires the session after its timeout.
func (l *link) suspend() bool {
	l.mu.Lock()
	was := l.suspended
	l.suspended = true
	l.mu.Unlock()
	l.drop()
	return !was
}

func (l *link) resume() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.suspended = false
}

// hostList hands go-zookeeper the configured host names unresolved, so the dialer
// resolves them on every connect and TLS sees the name. Same rotation as zk's default.
type hostList struct {
	mu         sync.Mutex
	servers    []string
	curr, last int
}

func (h *hostList) Init(servers []string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.servers = append([]string(nil), servers...)
	h.curr, h.last = -1, -1
	return nil
}

func (h *hostList) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.servers)
}

func (h *hostList) Next() (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.curr = (h.curr + 1) % len(h.servers)
	retryStart := h.curr == h.last
	if h.last == -1 {
		h.last = 0
	}
	return h.servers[h.curr], retryStart
}

func (h *hostList) Connected() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last = h.curr
}

// zkLogger sends go-zookeeper's chatter to slog at debug level.
type zkLogger struct{ log *slog.Logger }

func (l zkLogger) Printf(format string, args ...any) {
	l.log.Debug("zookeeper client: " + fmt.Sprintf(format, args...))
}

// newSession starts connecting in the background; calls fail fast until it has a
// session.
func (s *Store) newSession(gen uint64, ttl time.Duration) (*session, error) {
	l := &link{tls: s.tls, timeout: s.dialTimeout}
	conn, events, err := zk.Connect(s.servers, ttl,
		zk.WithDialer(l.dial), zk.WithHostProvider(&hostList{}),
		zk.WithLogger(zkLogger{s.log}), zk.WithLogInfo(false))
	if err != nil {
		return nil, fmt.Errorf("zookeeper: %w", err)
	}
	se := &session{conn: conn, link: l, gen: gen, stop: make(chan struct{}), armed: map[string]bool{}}
	go s.followEvents(se, events)
	if len(s.auth) == 0 {
		se.authed.Store(true)
	} else {
		go s.authenticate(se)
	}
	return se, nil
}

// followEvents wakes Watch on connection trouble (Patroni wakes on any state other than
// connected) and logs session changes.
func (s *Store) followEvents(se *session, events <-chan zk.Event) {
	for ev := range events {
		if ev.Type != zk.EventSession {
			continue
		}
		switch ev.State {
		case zk.StateDisconnected:
			s.signal(se)
		case zk.StateExpired:
			if s.current(se) {
				s.log.Warn("ZooKeeper session expired; ephemeral keys are gone", "scope", s.id.Scope)
			}
			s.signal(se)
		case zk.StateHasSession:
			s.log.Debug("ZooKeeper session established", "session", se.conn.SessionID(), "server", ev.Server)
		}
	}
}

// authenticate sends auth_data once; go-zookeeper re-sends it on every reconnect.
// Requests wait (fail fast) until it has been accepted.
func (s *Store) authenticate(se *session) {
	schemes := make([]string, 0, len(s.auth))
	for scheme := range s.auth {
		schemes = append(schemes, scheme)
	}
	sort.Strings(schemes)
	for _, scheme := range schemes {
		for {
			err := se.conn.AddAuth(scheme, []byte(s.auth[scheme]))
			if err == nil {
				break
			}
			se.authErr.Store(fmt.Errorf("auth_data %s: %w", scheme, err))
			if errors.Is(err, zk.ErrAuthFailed) || errors.Is(err, zk.ErrClosing) {
				s.log.Error("ZooKeeper rejected auth_data", "scheme", scheme, "error", err)
				return
			}
			select {
			case <-se.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	se.authed.Store(true)
}
