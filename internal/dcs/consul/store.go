// Package consul implements dcs.Store on the HTTP API of a local Consul agent, with the
// keys, sessions and service registration Patroni uses, so Patroni and this
// implementation can share a cluster.
package consul

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs"
)

// Store is one member's (or patronictl's) connection to a cluster in Consul.
type Store struct {
	cli         *api.Client
	transport   *http.Transport
	id          dcs.Identity
	cfg         Config
	log         *slog.Logger
	where       string // agent address, for error messages
	consistency string
	prefix      string // "service/batman/": Consul keys have no leading slash
	wake        chan struct{}
	closeOnce   sync.Once

	sessMu sync.Mutex // serialises session creation and renewal

	mu          sync.Mutex
	timing      dcs.Timing
	session     string
	renewed     time.Time
	ttlOverride time.Duration // the agent's SessionTTLMin once it rejected ours
	gen         uint64        // bumped by our writes: a Load served before must not undo them
	cache       map[string]cached
	svc         serviceState
}

// cached is what we last saw or wrote for one of our own keys, to skip writes that
// would change nothing and to notice a key held by an older session.
type cached struct {
	value   []byte
	session string
	present bool
}

var _ dcs.Store = (*Store)(nil)

// New creates a client for the agent. Nothing is sent yet: an unreachable agent shows
// up as an ErrUnreachable error from the first call.
func New(cfg Config, id dcs.Identity, timing dcs.Timing, logger *slog.Logger) (*Store, error) {
	if id.Scope == "" {
		return nil, errors.New("consul: scope is empty")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ac, err := cfg.apiConfig()
	if err != nil {
		return nil, err
	}
	cli, err := api.NewClient(ac)
	if err != nil {
		return nil, fmt.Errorf("consul: client for %s: %w", ac.Address, err)
	}
	if logger == nil {
		logger = slog.Default()
	}
	consistency := cfg.Consistency
	if consistency == "" {
		consistency = ConsistencyDefault
	}
	return &Store{
		cli: cli, transport: ac.Transport, id: id, cfg: cfg, log: logger.With("dcs", "consul"),
		where: ac.Scheme + "://" + ac.Address, consistency: consistency,
		prefix: strings.TrimPrefix(id.Prefix(), "/"), wake: make(chan struct{}, 1),
		timing: timing.WithDefaults(), cache: map[string]cached{},
	}, nil
}

// Client exposes the underlying Consul client (tests, diagnostics).
func (s *Store) Client() *api.Client { return s.cli }

// Close drops idle connections. The session is not destroyed: our keys go away when it
// expires, as they would if the process died.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.transport != nil {
			s.transport.CloseIdleConnections()
		}
	})
	return nil
}

// SetTiming applies a new ttl/loop_wait/retry_timeout. A new ttl needs a new session:
// the current one is forgotten (the next call creates one and moves our keys onto it)
// and Watch is woken so the HA loop runs at once.
func (s *Store) SetTiming(t dcs.Timing) {
	t = t.WithDefaults()
	s.mu.Lock()
	ttlChanged := t.TTL != s.timing.TTL
	s.timing = t
	if ttlChanged {
		s.session, s.ttlOverride = "", 0
	}
	s.mu.Unlock()
	if ttlChanged {
		s.Wake()
	}
}

func (s *Store) getTiming() dcs.Timing {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.timing
}

// key is the Consul key of a relative key: the base path without its leading slash.
func (s *Store) key(rel string) string { return s.prefix + strings.TrimPrefix(rel, "/") }

// Load reads every key under the cluster prefix in one recursive GET. 404 (nothing
// there) is an empty cluster.
func (s *Store) Load(ctx context.Context) (*cluster.View, error) {
	q := &api.QueryOptions{
		AllowStale:        s.consistency == ConsistencyStale,
		RequireConsistent: s.consistency == ConsistencyConsistent,
	}
	gen := s.generation()
	var pairs api.KVPairs
	err := s.op(ctx, "load", func(ctx context.Context) error {
		err := s.retry(ctx, func(ctx context.Context) error {
			var meta *api.QueryMeta
			var err error
			pairs, meta, err = s.cli.KV().List(s.prefix, q.WithContext(ctx))
			if err == nil && meta != nil && meta.ResultsFilteredByACLs {
				// Consul hides keys the token may not read: a partial view is not a view.
				return fmt.Errorf("%w: the token may not read every key under %s", ErrPermissionDenied, s.prefix)
			}
			return err
		})
		if err == nil && len(pairs) == 0 {
			// A recursive read answers 404 also when ACLs hide every key; a direct
			// read tells "empty" from "not allowed" (403).
			_, err = s.get(ctx, s.key("leader"), false)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	kvs := make([]cluster.KeyValue, 0, len(pairs))
	for _, p := range pairs {
		idx := int64(p.ModifyIndex)
		kvs = append(kvs, cluster.KeyValue{
			Key: strings.TrimPrefix(p.Key, s.prefix), Value: p.Value,
			Version: idx, ModifyVersion: idx, Session: p.Session,
		})
	}
	s.noteLoad(pairs, gen)
	return cluster.Parse(kvs), nil
}

// cachedKeys are the keys whose last value we remember.
func (s *Store) cachedKeys() []string {
	return []string{s.key("members/" + s.id.Name), s.key("status"), s.key("failsafe"), s.key("history")}
}

// noteLoad refreshes the caches of our own keys from what Consul holds, so a key
// deleted behind our back (expired session, patronictl remove) is written again.
func (s *Store) noteLoad(pairs api.KVPairs, gen uint64) {
	found := map[string]cached{}
	for _, p := range pairs {
		found[p.Key] = cached{value: p.Value, session: p.Session, present: true}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen {
		return // we wrote meanwhile; the read may predate it
	}
	for _, k := range s.cachedKeys() {
		s.cache[k] = found[k]
	}
}

func (s *Store) generation() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

func (s *Store) cachedValue(k string) cached {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cache[k]
}

func (s *Store) remember(k string, c cached) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.cache[k] = c
}

func (s *Store) forgetAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.cache = map[string]cached{}
}

// unchanged: the key is known to hold exactly value (not bound to a session).
func (s *Store) unchanged(k string, value []byte) bool {
	c := s.cachedValue(k)
	return c.present && c.session == "" && bytes.Equal(c.value, value)
}

// get reads one key (default consistency: served by the Consul leader); nil if absent.
func (s *Store) get(ctx context.Context, k string, consistent bool) (*api.KVPair, error) {
	var p *api.KVPair
	err := s.retry(ctx, func(ctx context.Context) (err error) {
		p, _, err = s.cli.KV().Get(k, (&api.QueryOptions{RequireConsistent: consistent}).WithContext(ctx))
		return err
	})
	return p, err
}

func writeOpts(ctx context.Context) *api.WriteOptions {
	return (&api.WriteOptions{}).WithContext(ctx)
}
