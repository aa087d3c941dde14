// Package dcs defines what the HA loop, the REST API and patronictl need from a
// distributed configuration store, independent of the backend. Sub-packages implement it
// for etcd v3, Consul and ZooKeeper; dcstest is the contract suite they all pass.
package dcs

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// NoVersion means "write without comparing" where a version is optional.
const NoVersion int64 = -1

// ErrUnreachable wraps every failure to talk to the store (connection refused, timeout,
// retry deadline exceeded). The HA loop treats it as "DCS is not accessible"; a
// compare that simply fails is reported as false, not as an error.
var ErrUnreachable = errors.New("DCS is not accessible")

// Unreachable wraps err so that errors.Is(err, ErrUnreachable) holds.
func Unreachable(op string, err error) error {
	return &unreachableError{op: op, err: err}
}

type unreachableError struct {
	op  string
	err error
}

func (e *unreachableError) Error() string { return fmt.Sprintf("%s: %v", e.op, e.err) }
func (e *unreachableError) Unwrap() []error {
	return []error{ErrUnreachable, e.err}
}

// Timing is the part of the dynamic configuration a store needs: the leader TTL, the
// loop period (rate of lease/session refreshes) and the deadline of every operation.
type Timing struct {
	TTL          time.Duration
	LoopWait     time.Duration
	RetryTimeout time.Duration
}

// DefaultTiming is Patroni's ttl 30, loop_wait 10, retry_timeout 10.
var DefaultTiming = Timing{TTL: 30 * time.Second, LoopWait: 10 * time.Second, RetryTimeout: 10 * time.Second}

// WithDefaults fills every unset (zero or negative) duration from DefaultTiming.
func (t Timing) WithDefaults() Timing {
	if t.TTL <= 0 {
		t.TTL = DefaultTiming.TTL
	}
	if t.LoopWait <= 0 {
		t.LoopWait = DefaultTiming.LoopWait
	}
	if t.RetryTimeout <= 0 {
		t.RetryTimeout = DefaultTiming.RetryTimeout
	}
	return t
}

// Store is one member's (or patronictl's) connection to the cluster's keys. Every method
// honours ctx and gives up after the configured retry timeout with an error wrapping
// ErrUnreachable. Methods returning (bool, error) report a lost compare as (false, nil).
type Store interface {
	// Load reads the whole cluster in one read where the backend allows.
	Load(ctx context.Context) (*cluster.View, error)

	// AttemptToAcquireLeader creates the leader key with our name, bound to our
	// lease/session, only if it does not exist.
	AttemptToAcquireLeader(ctx context.Context) (bool, error)
	// UpdateLeader renews the lock we hold. leader is the leader key as last read; the
	// update must fail (false) if the key is held by someone else now.
	UpdateLeader(ctx context.Context, leader *cluster.Leader) (bool, error)
	// TakeLeader writes the leader key after a fresh bootstrap.
	TakeLeader(ctx context.Context) (bool, error)
	// DeleteLeader releases the lock if, and only if, we still hold it.
	DeleteLeader(ctx context.Context, leader *cluster.Leader) error

	// TouchMember writes our member key, bound to our lease/session/ephemeral node.
	TouchMember(ctx context.Context, data cluster.MemberData) (bool, error)

	// Initialize with createNew races for the initialize key (create-if-absent);
	// without it, it overwrites the value (records the sysid after bootstrap).
	Initialize(ctx context.Context, createNew bool, sysid string) (bool, error)
	// CancelInitialization deletes the initialize key after a failed bootstrap.
	CancelInitialization(ctx context.Context) error

	// SetConfig writes the config key; version is NoVersion or the Config.Version read.
	SetConfig(ctx context.Context, value []byte, version int64) (bool, error)
	// SetFailover writes the failover key (an empty Failover clears it as {}).
	SetFailover(ctx context.Context, f cluster.Failover, version int64) (bool, error)
	// SetSync writes the sync key and returns its new version.
	SetSync(ctx context.Context, s cluster.SyncState, version int64) (newVersion int64, ok bool, err error)
	// DeleteSync removes the sync state (ZooKeeper writes {} instead).
	DeleteSync(ctx context.Context, version int64) (bool, error)
	SetHistory(ctx context.Context, h cluster.History) error
	WriteStatus(ctx context.Context, s cluster.Status) error
	WriteFailsafe(ctx context.Context, f cluster.Failsafe) error
	// DeleteCluster removes every key of the cluster (patronictl remove).
	DeleteCluster(ctx context.Context) error

	// Watch blocks up to timeout, returning early (true) when the leader key changes
	// (leaderVersion is the Leader.Version last seen, or NoVersion to only wait on
	// Wake) or when Wake is called.
	Watch(ctx context.Context, leaderVersion int64, timeout time.Duration) bool
	// Wake makes a pending or the next Watch return at once.
	Wake()

	// SetTiming applies a changed ttl/loop_wait/retry_timeout from the dynamic config.
	SetTiming(t Timing)
	// Close releases the connection and any background goroutines. It does not delete
	// the lease/session: keys expire as they would if the process died.
	Close() error
}

// Identity names the cluster and member a Store acts for.
type Identity struct {
	Namespace string // default "/service"
	Scope     string
	Name      string // member name; empty for patronictl
}

// BasePath is "/<namespace>/<scope>" with runs of slashes collapsed.
func (id Identity) BasePath() string {
	ns := id.Namespace
	if ns == "" {
		ns = "/service"
	}
	p := "/" + ns + "/" + id.Scope
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	return strings.TrimSuffix(p, "/")
}

// Key is the absolute path of a relative key such as "leader" or "members/node1".
func (id Identity) Key(rel string) string {
	return path.Join(id.BasePath(), strings.TrimPrefix(rel, "/"))
}

// Prefix is BasePath + "/", what a whole-cluster read covers.
func (id Identity) Prefix() string { return id.BasePath() + "/" }
