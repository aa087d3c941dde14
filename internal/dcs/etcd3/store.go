// Package etcd3 implements dcs.Store on etcd's v3 API with the native gRPC client. Keys,
// values and leases are the ones Patroni writes through etcd's JSON gateway, so Patroni
// and this implementation can share a cluster.
package etcd3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs"
)

// Store is one member's (or patronictl's) connection to a cluster in etcd.
type Store struct {
	cli          *clientv3.Client
	id           dcs.Identity
	log          *slog.Logger
	where        string // endpoints, for error messages
	linearizable bool
	wake         chan struct{}
	closeOnce    sync.Once
	closeErr     error

	leaseMu sync.Mutex // serialises grants and keepalives

	mu           sync.Mutex
	timing       dcs.Timing
	lease        clientv3.LeaseID
	leaseGen     uint64 // bumped when the lease must be dropped (ttl change)
	leaseRenewed time.Time
	loadRev      int64 // header revision of the last Load
	member       cached
	status       cached
	failsafe     cached
}

// cached is the last value of one of our keys as read or written, to skip writes that
// would change nothing.
type cached struct {
	value []byte
	lease clientv3.LeaseID
	rev   int64
	known bool
}

var _ dcs.Store = (*Store)(nil)

// New connects to etcd. The connection is made lazily: an unreachable etcd shows up as
// an ErrUnreachable error from the first call, naming the endpoints.
func New(cfg Config, id dcs.Identity, timing dcs.Timing, logger *slog.Logger) (*Store, error) {
	if id.Scope == "" {
		return nil, errors.New("etcd3: scope is empty")
	}
	ep, err := cfg.endpoints()
	if err != nil {
		return nil, err
	}
	tlsCfg, err := cfg.tlsConfig(ep.tls)
	if err != nil {
		return nil, err
	}
	timing = timing.WithDefaults()
	cc := clientv3.Config{
		Endpoints: ep.urls,
		TLS:       tlsCfg,
		Username:  firstNonEmpty(cfg.Username, ep.username),
		Password:  firstNonEmpty(cfg.Password, ep.password),
		Logger:    zap.NewNop(),
		// Detect a dead connection (no RST after a partition) within about ttl, but never
		// ping more often than etcd's default enforcement minimum (5 s) tolerates.
		DialKeepAliveTime:    max(timing.TTL/2, 10*time.Second),
		DialKeepAliveTimeout: timing.RetryTimeout / 2,
		// Reconnect at least every second, as Patroni's retries do, so a restarted etcd
		// is found again quickly (gRPC's default backoff grows to two minutes).
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: time.Second,
		})},
	}
	if ep.discover {
		cc.AutoSyncInterval = 10 * timing.TTL
	}
	if cc.Username != "" {
		cc.DialTimeout = timing.RetryTimeout // authentication happens inside clientv3.New
	}
	cli, err := clientv3.New(cc)
	if errors.Is(err, rpctypes.ErrAuthFailed) {
		return nil, fmt.Errorf("etcd3: etcd at %s rejected user %q: %w", strings.Join(ep.urls, ","), cc.Username, err)
	}
	if err != nil {
		return nil, dcs.Unreachable("etcd3 connect", fmt.Errorf("etcd at %s: %w", strings.Join(ep.urls, ","), err))
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Store{
		cli: cli, id: id, log: logger.With("dcs", "etcd3"), where: strings.Join(ep.urls, ","),
		linearizable: cfg.Linearizable, wake: make(chan struct{}, 1), timing: timing,
	}, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Client exposes the underlying etcd client (tests, diagnostics).
func (s *Store) Client() *clientv3.Client { return s.cli }

// Close stops the client. The lease is not revoked: our keys expire after ttl, as they
// would if the process died.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.cli.Close() })
	return s.closeErr
}

// SetTiming applies a new ttl/loop_wait/retry_timeout. A new ttl needs a new lease: the
// current one is dropped (the next call grants one and re-points our keys) and Watch is
// woken so the HA loop runs at once.
func (s *Store) SetTiming(t dcs.Timing) {
	t = t.WithDefaults()
	s.mu.Lock()
	ttlChanged := t.TTL != s.timing.TTL
	s.timing = t
	if ttlChanged {
		s.lease, s.leaseGen = 0, s.leaseGen+1
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

func (s *Store) key(rel string) string { return s.id.Key(rel) }

// call runs f with the retry_timeout deadline, retrying transient gRPC failures with a
// backoff of at most one second, and wraps any failure as ErrUnreachable.
func (s *Store) call(ctx context.Context, op string, f func(ctx context.Context) error) error {
	timeout := s.getTiming().RetryTimeout
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	delay := 100 * time.Millisecond
	for {
		err := f(ctx)
		if err == nil {
			return nil
		}
		if !retryable(err) || ctx.Err() != nil {
			return s.unreachable(op, err, timeout)
		}
		select {
		case <-ctx.Done():
			return s.unreachable(op, err, timeout)
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}

func (s *Store) unreachable(op string, err error, timeout time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded {
		err = fmt.Errorf("no answer within retry_timeout %v: %w", timeout, err)
	}
	return dcs.Unreachable("etcd3 "+op, fmt.Errorf("etcd at %s: %w", s.where, err))
}

// retryable: etcd answered "try again" (no leader, leader changed, connection lost).
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.FailedPrecondition:
		return true
	}
	return errors.Is(err, rpctypes.ErrNoLeader) || errors.Is(err, rpctypes.ErrLeaderChanged) ||
		errors.Is(err, rpctypes.ErrTimeoutDueToLeaderFail)
}

func isLeaseNotFound(err error) bool {
	return errors.Is(err, rpctypes.ErrLeaseNotFound) ||
		(err != nil && strings.Contains(err.Error(), "requested lease not found"))
}

// Load reads every key under the cluster prefix in one Range. The daemon reads
// serializable (a lagging etcd member may answer); patronictl sets Linearizable.
func (s *Store) Load(ctx context.Context) (*cluster.View, error) {
	opts := []clientv3.OpOption{clientv3.WithPrefix()}
	if !s.linearizable {
		opts = append(opts, clientv3.WithSerializable())
	}
	prefix := s.id.Prefix()
	var resp *clientv3.GetResponse
	err := s.call(ctx, "load", func(ctx context.Context) (err error) {
		resp, err = s.cli.Get(ctx, prefix, opts...)
		return err
	})
	if err != nil {
		return nil, err
	}
	kvs := make([]cluster.KeyValue, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		session := ""
		if kv.Lease != 0 {
			session = strconv.FormatInt(kv.Lease, 10)
		}
		kvs = append(kvs, cluster.KeyValue{
			Key: strings.TrimPrefix(string(kv.Key), prefix), Value: kv.Value,
			Version: kv.ModRevision, ModifyVersion: kv.ModRevision, Session: session,
		})
	}
	s.noteLoad(resp)
	return cluster.Parse(kvs), nil
}

// noteLoad refreshes the caches of our own keys from what etcd holds, so a key deleted
// behind our back (expired, patronictl remove) is written again.
func (s *Store) noteLoad(resp *clientv3.GetResponse) {
	found := map[string]cached{}
	for _, kv := range resp.Kvs {
		found[string(kv.Key)] = cached{value: kv.Value, lease: clientv3.LeaseID(kv.Lease), rev: kv.ModRevision, known: true}
	}
	rev := resp.Header.Revision
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loadRev = max(s.loadRev, rev)
	for k, c := range map[string]*cached{s.key("members/" + s.id.Name): &s.member, s.key("status"): &s.status, s.key("failsafe"): &s.failsafe} {
		if c.rev > rev {
			continue // we wrote it after this read was served
		}
		v := found[k]
		v.rev = rev
		*c = v
	}
}

// unchanged reports whether c already holds value (bound to lease, for leased keys).
func (s *Store) unchanged(c *cached, value []byte, lease clientv3.LeaseID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return c.known && c.lease == lease && bytes.Equal(c.value, value)
}

func (s *Store) remember(c *cached, value []byte, lease clientv3.LeaseID, rev int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*c = cached{value: value, lease: lease, rev: rev, known: true}
}
