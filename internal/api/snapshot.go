// Package api is Patroni's REST API server: health checks for load balancers and
// Kubernetes, the node status document peers read in the leader race, monitoring
// endpoints, and the management endpoints patronictl calls.
//
// Reads never wait: every GET is answered from the immutable Snapshot the HA loop
// last published (Publisher). Unlike Patroni, which queries PostgreSQL per request, the
// PostgreSQL fields are therefore up to loop_wait old (state, role, xlog positions,
// timeline, replication rows, postmaster_start_time). Actions go to the HA side through
// Node, DCS writes through Store.
package api

import (
	"sync/atomic"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// Snapshot is everything the REST API needs about this node, as of one HA cycle. The
// HA loop builds a new one each cycle (and after any state change worth reporting) and
// publishes it; the API never mutates it.
type Snapshot struct {
	// Identity.
	Scope, Name string
	Version     string // Patroni version we report, e.g. "4.1.4"

	// PostgreSQL. State is the local PG state ("running", "starting", "stopped",
	// "creating replica", ...). Role is the internal role (primary, replica,
	// standby_leader, demoted, uninitialized, promoted).
	State string
	Role  cluster.Role
	// Queried: the last status query succeeded; the fields below are valid. When
	// false the status document carries only state and role (peers then treat the node
	// as unreachable in the leader race), and a "running" State is reported as
	// "unknown", as Patroni does when its query fails.
	Queried             bool
	InRecovery          bool
	PostmasterStartTime time.Time // zero: unknown
	ServerVersion       int       // e.g. 150004
	XLogLocation        int64     // primary: pg_current_wal_flush_lsn
	ReceivedLocation    int64     // replica: written/received LSN (replayed when null)
	ReplayedLocation    int64
	ReplayedTimestamp   *time.Time // nil: null
	ReplayPaused        bool
	Timeline            int64
	LatestEndLSN        int64  // replica: WAL receiver latest_end_lsn, 0 if unknown
	ReplicationState    string // "streaming", "in archive recovery" or ""
	Replication         []ReplicationRow

	// Patroni state.
	DCSLastSeen          time.Time // last successful DCS read
	Tags                 map[string]any
	ConfiguredTags       map[string]any // tags from the config file; nil = use Tags
	SystemID             string         // database_system_identifier, "" if unknown
	PendingRestart       bool
	PendingRestartReason map[string]cluster.PendingChange
	ScheduledRestart     *ScheduledRestart
	WatchdogFailed       bool
	FailsafeActive       bool // failsafe mode is currently active (primary or follower)

	// HA facts. LeaderUntil: we hold the leader lock until then (last successful
	// lock update + ttl); zero when we do not hold it. NextRun: when the next HA
	// cycle is due (for /liveness).
	LeaderUntil time.Time
	NextRun     time.Time

	// Global configuration as the HA loop last understood it (from the DCS, or the
	// last known one when the DCS is unreachable).
	Paused               bool
	StandbyCluster       bool
	SynchronousMode      bool // synchronous_mode on (any of on/quorum), not a standby cluster
	QuorumCommit         bool // synchronous_mode: quorum
	FailsafeMode         bool // failsafe_mode enabled
	MaximumLagOnFailover int64
	TTL                  time.Duration
	LoopWait             time.Duration

	// View is the latest cluster read and ViewTime when it was read. The API treats it
	// as absent (Patroni's "no cached cluster") once ViewTime + TTL has passed.
	View     *cluster.View
	ViewTime time.Time
}

// ReplicationRow is one pg_stat_replication row; ClientAddr "" is rendered as null.
type ReplicationRow struct {
	Usename         string
	ApplicationName string
	ClientAddr      string
	State           string
	SyncState       string
	SyncPriority    int64
}

// ScheduledRestart is a pending scheduled restart and its conditions.
type ScheduledRestart struct {
	Schedule        time.Time
	Role            string // "" when not a condition
	PostgresVersion string
	RestartPending  bool
	Timeout         int64 // seconds, 0 when not given
}

// IsLeader is Patroni's ha.is_leader(): the lock is held and has not expired.
func (s *Snapshot) IsLeader(now time.Time) bool {
	return !s.LeaderUntil.IsZero() && now.Before(s.LeaderUntil)
}

// FreshView returns the cached cluster if it is younger than ttl, else nil.
func (s *Snapshot) FreshView(now time.Time) *cluster.View {
	if s.View == nil {
		return nil
	}
	ttl := s.TTL
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	if now.Sub(s.ViewTime) >= ttl {
		return nil
	}
	return s.View
}

func (s *Snapshot) configuredTags() map[string]any {
	if s.ConfiguredTags != nil {
		return s.ConfiguredTags
	}
	return s.Tags
}

// Publisher hands snapshots from the HA loop to the API without locks.
type Publisher struct{ p atomic.Pointer[Snapshot] }

// Publish makes s the current snapshot. s must not be modified afterwards.
func (p *Publisher) Publish(s *Snapshot) { p.p.Store(s) }

// Load returns the current snapshot, or an empty one before the first Publish.
func (p *Publisher) Load() *Snapshot {
	if s := p.p.Load(); s != nil {
		return s
	}
	return &emptySnapshot
}

var emptySnapshot = Snapshot{State: "stopped", Role: cluster.RoleUninitialized}
