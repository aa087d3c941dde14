// Package zookeeper implements dcs.Store on ZooKeeper with github.com/go-zookeeper/zk.
// The znodes, values and their ephemeral nature are the ones Patroni writes through kazoo,
// so Patroni and this implementation can share a cluster.
//
// The leader and member znodes are ephemeral: they live as long as this store's
// ZooKeeper session (session timeout = ttl). Where this differs from Patroni 4.1:
//
//   - The session is only kept alive while the store is being used: a store nobody has
//     called for longer than ttl (a frozen HA loop) stops talking to ZooKeeper and its
//     session expires, as an etcd lease or a Consul session of a frozen member does
//     (idle.go). kazoo pings from a background thread for as long as the process lives.
//   - Lock operations compare the holder: UpdateLeader and DeleteLeader never delete a
//     leader znode that names another member (Patroni deletes it when the session differs).
//   - Leader.Version is the leader znode's mzxid, not its znode version (always 0).
//   - A version of 0 is a real compare (Patroni's "version or -1" makes it unconditional);
//     dcs.NoVersion means no compare.
//   - A ttl change starts a new session and abandons the old one instead of closing it,
//     so the next UpdateLeader/TouchMember move our znodes over without a moment in which
//     nobody holds the lock.
//   - TLS verifies the server's chain but, like kazoo, not its host name.
package zookeeper

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/patroni-go/patroni/internal/dcs"
)

// Store is one member's (or patronictl's) connection to a cluster in ZooKeeper.
type Store struct {
	id      dcs.Identity
	base    string // chroot + /<namespace>/<scope>
	servers []string
	tls     *tls.Config
	acl     []zk.ACL
	auth    map[string]string
	log     *slog.Logger

	wake   chan struct{} // Wake and ttl changes
	events chan struct{} // watched znodes and connection trouble
	done   chan struct{}

	idleMu     sync.Mutex   // orders enter and the idle monitor (idle.go)
	inflight   atomic.Int64 // calls in progress
	lastActive atomic.Int64 // unix nanoseconds of the last call's end

	mu       sync.Mutex
	timing   dcs.Timing
	sess     *session
	gen      uint64
	closed   bool
	member   cached // our member znode as last read or written
	status   cached
	failsafe cached
}

// cached is the last value of one of our znodes as read or written, to skip writes that
// would change nothing.
type cached struct {
	value   []byte
	session int64
	known   bool
}

var _ dcs.Store = (*Store)(nil)

// errClosed: the store was closed.
var errClosed = errors.New("zookeeper store is closed")

// New starts connecting to ZooKeeper and returns at once: an unreachable ensemble shows
// up as ErrUnreachable errors from the calls.
func New(cfg Config, id dcs.Identity, timing dcs.Timing, logger *slog.Logger) (*Store, error) {
	if id.Scope == "" {
		return nil, errors.New("zookeeper: scope is empty")
	}
	servers, chroot, err := cfg.servers()
	if err != nil {
		return nil, err
	}
	tlsCfg, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	acl, err := ParseACLs(cfg.SetACLs)
	if err != nil {
		return nil, err
	}
	if acl == nil {
		acl = zk.WorldACL(zk.PermAll)
	}
	if logger == nil {
		logger = slog.Default()
	}
	s := &Store{
		id: id, base: chroot + id.BasePath(), servers: servers, tls: tlsCfg, acl: acl,
		auth: cfg.AuthData, log: logger.With("dcs", "zookeeper"),
		wake: make(chan struct{}, 1), events: make(chan struct{}, 1), done: make(chan struct{}),
		timing: timing.WithDefaults(),
	}
	s.lastActive.Store(time.Now().UnixNano())
	se, err := s.newSession(0, s.timing.TTL)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.sess = se
	s.mu.Unlock()
	go s.idleMonitor()
	return s, nil
}

func (s *Store) path(rel string) string { return s.base + "/" + rel }

func (s *Store) currentTiming() dcs.Timing {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.timing
}

// dialTimeout is Patroni's connect timeout: half of loop_wait, at least a second.
func (s *Store) dialTimeout() time.Duration {
	return max(time.Second, s.currentTiming().LoopWait/2)
}

// attemptTimeout is Patroni's read timeout: loop_wait - 2s, at least 2s. A request
// without an answer by then moves the connection to the next server.
func attemptTimeout(t dcs.Timing) time.Duration {
	return max(2*time.Second, t.LoopWait-2*time.Second)
}

// current reports whether se is the store's session (events of replaced ones are stale).
func (s *Store) current(se *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sess == se && !s.closed
}

// session returns the current session if it can take requests now.
func (s *Store) session() (*session, error) {
	s.mu.Lock()
	se, closed := s.sess, s.closed
	s.mu.Unlock()
	if closed {
		return nil, errClosed
	}
	if st := se.conn.State(); st != zk.StateHasSession {
		return nil, fmt.Errorf("%w (state %s)", errNotConnected, st)
	}
	if !se.authed.Load() {
		if err, ok := se.authErr.Load().(error); ok {
			return nil, fmt.Errorf("%w: %w", errNotConnected, err)
		}
		return nil, fmt.Errorf("%w: auth_data not yet accepted", errNotConnected)
	}
	return se, nil
}

// restartSession replaces the session. With closeOld the old one is closed (the server
// drops its ephemeral znodes now, as Patroni's delete_leader does); otherwise it is
// abandoned and expires on its own, so our znodes can be moved to the new session
// without a moment in which nobody holds the lock.
func (s *Store) restartSession(closeOld bool) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	old := s.sess
	s.gen++
	se, err := s.newSession(s.gen, s.timing.TTL)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.sess = se
	s.mu.Unlock()
	if closeOld {
		old.close()
	} else {
		old.abandon()
	}
	return nil
}

// SetTiming applies a changed ttl/loop_wait/retry_timeout. A new ttl needs a new session
// (ZooKeeper cannot change a session's timeout); it also wakes Watch.
func (s *Store) SetTiming(t dcs.Timing) {
	t = t.WithDefaults()
	s.mu.Lock()
	ttlChanged := s.timing.TTL != t.TTL
	s.timing = t
	s.mu.Unlock()
	if ttlChanged {
		s.log.Info("ttl changed: starting a new ZooKeeper session", "ttl", t.TTL)
		if err := s.restartSession(false); err != nil {
			s.log.Warn("could not restart the ZooKeeper session", "error", err)
		}
		s.Wake()
	}
}

// Close drops the connection without ending the session: our ephemeral znodes expire
// after ttl, as they would if the process died.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	se := s.sess
	s.mu.Unlock()
	close(s.done)
	se.abandon()
	return nil
}

// SessionID is the current ZooKeeper session id (0 while there is none), as Load
// reports it in Member.Session and Leader.Session.
func (s *Store) SessionID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sess.conn.SessionID()
}

func sessionString(owner int64) string {
	if owner == 0 {
		return ""
	}
	return strconv.FormatInt(owner, 10)
}
