package ha

import (
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// SyncMode is the dynamic synchronous_mode setting.
type SyncMode int

// synchronous_mode values.
const (
	SyncOff SyncMode = iota
	SyncOn
	SyncQuorum
)

// WatchdogMode is watchdog.mode.
type WatchdogMode int

// watchdog.mode values.
const (
	WatchdogOff WatchdogMode = iota
	WatchdogAutomatic
	WatchdogRequired
)

// Settings are the configuration values the decisions need: the dynamic configuration
// (as applied from the DCS config key or bootstrap.dcs) plus this node's local tags and a
// few facts derived from the local configuration. The config package maps its Config onto
// this; ha does not import it.
type Settings struct {
	TTL          time.Duration
	LoopWait     time.Duration
	RetryTimeout time.Duration

	MaximumLagOnFailover  int64 // bytes
	MaximumLagOnSyncNode  int64 // bytes; <= 0 disables the check
	PrimaryStartTimeout   time.Duration
	PrimaryStopTimeout    time.Duration
	SynchronousMode       SyncMode
	SynchronousModeStrict bool
	SynchronousNodeCount  int
	FailsafeMode          bool
	CheckTimeline         bool
	Paused                bool

	UsePgRewind                           bool
	RemoveDataDirectoryOnRewindFailure    bool
	RemoveDataDirectoryOnDivergedTimeline bool

	// StandbyCluster: a valid standby_cluster section is configured.
	StandbyCluster bool
	// HasBootstrapSection: the local configuration has a bootstrap section.
	HasBootstrapSection bool
	// ReplicaWithoutLeader: a configured create_replica_method can run without a
	// replication connection (no_leader/no_master set, not basebackup).
	ReplicaWithoutLeader bool

	Tags LocalTags

	Watchdog WatchdogMode
	// MaxTimelinesHistory bounds the history key (0 = unlimited).
	MaxTimelinesHistory int
}

// LocalTags are this node's configured tags.
type LocalTags struct {
	NoFailover       bool
	FailoverPriority int64 // effective: 0 when nofailover
	ReplicateFrom    string
	NoSync           bool
	NoStream         bool
}

// syncEnabled is Patroni's is_synchronous_mode: requested and not a standby cluster.
func (s *Settings) syncEnabled() bool { return s.SynchronousMode != SyncOff && !s.StandbyCluster }

func (s *Settings) quorumMode() bool { return s.SynchronousMode == SyncQuorum && !s.StandbyCluster }

// PGState is what was observed about the local PostgreSQL this cycle.
type PGState struct {
	// DataDirError is set when the data directory is not accessible.
	DataDirError string
	// DataDirEmpty: no global/pg_control and the directory is empty or missing.
	DataDirEmpty bool
	// Running: a live postmaster exists (Patroni's is_running/is_healthy).
	Running bool
	// State is Patroni's PostgreSQL state string: running, starting, stopped, crashed,
	// restarting, "creating replica", "start failed", ...
	State string
	// StateSince is when State last changed (time_in_state for the start timeout).
	StateSince time.Time
	// Role is the internal role the executor's state handler holds.
	Role cluster.Role
	// IsPrimary: running and not in recovery.
	IsPrimary bool
	// Timeline: primary: current timeline; replica: received or cached timeline; 0 unknown.
	Timeline int64
	// WALPosition: primary: flush LSN; replica: max(received, replayed) (last_operation).
	WALPosition int64
	// Sysid is the pg_controldata "Database system identifier".
	Sysid string
	// ClusterState is the pg_controldata "Database cluster state".
	ClusterState string
	// RecoveryConfExists: standby.signal / recovery.signal / recovery.conf present.
	RecoveryConfExists bool
	// RestoredFromBackup: backup_label exists.
	RestoredFromBackup bool
	// PostmasterStartTime identifies the running postmaster (scheduled restart cancel).
	PostmasterStartTime string
	// MajorVersion, e.g. 15 (0 unknown); ServerVersion, e.g. 150004.
	MajorVersion  int
	ServerVersion int
	// CanRewind: use_pg_rewind is on and pg_rewind works with this data directory
	// (wal_log_hints or checksums).
	CanRewind bool
	// CheckpointAfterPromoteDone: the post-promote CHECKPOINT finished (or was not needed).
	CheckpointAfterPromoteDone bool
	// FollowingName is whom the running recovery configuration streams from ("" none,
	// RemoteMember for a standby cluster's remote member).
	FollowingName string
	// RecoveryConfStale: the recovery configuration no longer matches FollowingName's
	// current conn_url / standby_cluster settings.
	RecoveryConfStale bool
	// RecoveryConfNeedsRestart: changing the upstream needs a restart (PG < 13).
	RecoveryConfNeedsRestart bool
	// PendingRestart is pending_restart in the member key.
	PendingRestart bool
}

// WalSender is one pg_stat_replication row in state streaming.
type WalSender struct {
	ApplicationName string
	SyncState       string // async, potential, sync, quorum
	LSN             int64  // column chosen by synchronous_commit
}

// SyncObservation is the primary's synchronous replication state.
type SyncObservation struct {
	// SSN is the live synchronous_standby_names value.
	SSN string
	// Replication lists streaming walsenders.
	Replication []WalSender
}

// PeerStatus is one member's answer to GET /patroni (ha-loop.md §8.1).
type PeerStatus struct {
	Reachable      bool
	InRecovery     bool
	WALPosition    int64 // 0 for a primary
	Timeline       int64
	NoFailover     bool
	Priority       int64 // effective failover priority
	WatchdogFailed bool
}

// limitation is Patroni's failover_limitation ("" when healthy).
func (p PeerStatus) limitation() string {
	switch {
	case !p.Reachable:
		return "not reachable"
	case p.NoFailover:
		return "not allowed to promote"
	case p.WatchdogFailed:
		return "not watchdog capable"
	}
	return ""
}

// FailsafeSender is the last POST /failsafe received from a primary.
type FailsafeSender struct {
	Name    string
	ConnURL string
	APIURL  string
	At      time.Time
}

// ResponseState is the shared result slot of the promote and bootstrap tasks.
type ResponseState int

// Task response values.
const (
	ResponseNone  ResponseState = iota // not produced yet
	ResponseTrue                       // succeeded
	ResponseFalse                      // failed (e.g. pre_promote script)
)

// AsyncState describes the single background task slot.
type AsyncState struct {
	// Action names the running task ("" when idle), e.g. "promote", "restart".
	Action string
	// Response is the bootstrap/promote result slot (Patroni's _async_response).
	Response ResponseState
	// PrePromoteDone: the promote task passed its pre_promote step and can no longer be
	// cancelled.
	PrePromoteDone bool
}

// TaskResult reports a background task that finished since the previous cycle.
type TaskResult struct {
	Action string
	OK     bool
}

// ScheduledRestart is a restart scheduled through the REST API.
type ScheduledRestart struct {
	At                  time.Time
	Role                cluster.Role // "" any
	PostgresVersion     int          // 0 any; restart only if ServerVersion is lower
	RestartPending      bool         // only if pending_restart is set
	PostmasterStartTime string
	Timeout             time.Duration
}

// Local is everything observed about this node for one cycle plus the HA state Decide
// keeps between cycles (Memory).
type Local struct {
	Name    string
	APIURL  string
	ConnURL string

	PG    PGState
	Async AsyncState
	// Completed lists tasks that finished since the previous cycle.
	Completed []TaskResult

	// Peers holds GET /patroni answers; a missing entry means "not reachable".
	Peers map[string]PeerStatus
	// PeersFetched: Peers were gathered for this cycle (see NeedsPeers).
	PeersFetched bool

	FailsafeLeader *FailsafeSender
	Sync           SyncObservation

	ScheduledRestart *ScheduledRestart
	// WatchdogRunning: the watchdog device is active. WatchdogHealthy: usable if needed.
	WatchdogRunning bool
	WatchdogHealthy bool
	// CallbackFired: a start-like callback fired since Patroni started (cb_called).
	CallbackFired bool

	Memory Memory
}

// RewindState is Patroni's rewind state machine.
type RewindState int

// Rewind states.
const (
	RewindInitial RewindState = iota
	RewindCheck
	RewindNeed
	RewindNotNeed
	RewindSuccess
	RewindFailed
)

// Memory is the HA state kept between cycles. Decide returns the next Memory in the
// final Plan of a cycle; the executor stores it and passes it back unchanged next cycle.
type Memory struct {
	// LockRenewedAt is when the last successful acquire/update/take of the leader key
	// was *started*; is_leader holds while now < LockRenewedAt + ttl.
	LockRenewedAt time.Time
	// OldView is the last view that had a leader (old_cluster).
	OldView *cluster.View
	// LastFailsafe is the failsafe key from the last successful read.
	LastFailsafe cluster.Failsafe

	WasPaused            bool
	Recovering           bool
	Bootstrapping        bool
	CrashRecoveryStarted time.Time
	ReleasedLeaderKeyAt  time.Time // after a failed pre_promote script
	FailsafeActiveAt     time.Time
	StartTimeout         time.Duration // set by a REST restart with timeout
	Rewind               RewindState
	RewindExecuted       bool
	LastTimeline         int64
	PromoteTimestamp     time.Time
	JoinAborted          bool
	SyncLastSSN          string
	SyncPrimaryFlushLSN  int64
	SyncReady            map[string]bool
}

// Input is one call of Decide.
type Input struct {
	// View is the cluster as loaded at the start of the cycle; nil with ViewErr set when
	// the load failed (DCS not accessible).
	View    *cluster.View
	ViewErr bool

	Local    Local
	Settings Settings
	Now      time.Time

	// Results answers the gates of earlier phases of this cycle, in order.
	Results []Result
}
