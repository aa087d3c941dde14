package ha

import (
	"fmt"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// ---- DCS writes whose outcome does not change the cycle (errors are only logged) ----

// TouchMember publishes the member key now (step C).
type TouchMember struct{ action }

// WriteInitialize records the sysid in the initialize key (create if absent when
// CreateNew, else overwrite).
type WriteInitialize struct {
	action
	CreateNew bool
	Sysid     string
}

// CancelInitialization deletes the initialize key after a failed bootstrap.
type CancelInitialization struct{ action }

// WriteConfig writes this node's dynamic configuration to the config key.
type WriteConfig struct{ action }

// SetFailover writes the failover key; an empty Failover clears it ({}). Version is
// the CAS version, -1 for none.
type SetFailover struct {
	action
	Failover cluster.Failover
	Version  int64
}

// DeleteLock releases the leader key voluntarily (dcs.md §4.4), writing LastLSN to
// /status first when non-zero, then touches the member key and logs "Leader key released".
type DeleteLock struct {
	action
	LastLSN int64
}

// UpdateHistory refreshes the history key from the primary's timeline history.
type UpdateHistory struct{ action }

// ---- PostgreSQL and process actions ----

// RunAsync starts Task in the single background slot under Name (the name Patroni
// reports as "<name> in progress").
type RunAsync struct {
	action
	Name string
	Task Action
}

// Bootstrap runs initdb or the custom bootstrap method (StandbyLeader: clone from the
// remote member and start as standby leader).
type Bootstrap struct {
	action
	StandbyLeader bool
}

// PostBootstrap creates users and runs post_bootstrap scripts.
type PostBootstrap struct{ action }

// Clone creates a replica from From ("" = a replica method that needs no leader) and
// then follows the node NodeToFollow picks.
type Clone struct {
	action
	From       string
	FromLeader bool
}

// StartPrimary starts PostgreSQL as it was (a crashed primary) waiting up to Timeout.
type StartPrimary struct {
	action
	Timeout time.Duration
}

// Follow writes the recovery configuration for Target and (re)starts or reloads
// PostgreSQL as Role. Target "" means no upstream; Remote marks the standby cluster's
// remote member. Reload: a reload is enough (synchronous); otherwise a restart.
type Follow struct {
	action
	Target  string
	Remote  bool
	Role    cluster.Role
	Reload  bool
	Timeout time.Duration
}

// Promote runs pre_promote, pg_ctl promote and waits up to loop_wait; it fires
// on_role_change and sets the task response.
type Promote struct{ action }

// DemoteMode selects how a primary steps down (ha-loop.md §10 table).
type DemoteMode string

// Demote modes.
const (
	DemoteOffline         DemoteMode = "offline"
	DemoteGraceful        DemoteMode = "graceful"
	DemoteImmediate       DemoteMode = "immediate"
	DemoteImmediateNoLock DemoteMode = "immediate-nolock"
	// DemoteCluster turns the primary into a standby leader (standby_cluster added).
	DemoteCluster DemoteMode = "demote-cluster"
)

// Demote stops the primary and restarts it as a replica. The executor implements the
// whole sequence of Patroni's demote(mode): stop (fast for offline/graceful, immediate
// otherwise; checkpoint first only for graceful), role demoted, release the lock for
// graceful/immediate (early release via FailoverPossible when pg_control says shut
// down), clear synchronous_standby_names in sync mode, then follow the node
// NodeToFollow picks from a fresh read (none for offline): asynchronously for immediate
// modes, synchronously otherwise unless rewind is needed. Decide already cleared
// is_leader in Memory.
type Demote struct {
	action
	Mode DemoteMode
}

// Rewind runs pg_rewind from the leader.
type Rewind struct {
	action
	From string
}

// Reinitialize stops PostgreSQL, removes the data directory and clones again.
type Reinitialize struct {
	action
	From string
}

// CrashRecovery runs single-user mode crash recovery (§10.2).
type CrashRecovery struct{ action }

// Restart restarts PostgreSQL (scheduled restart).
type Restart struct {
	action
	Timeout time.Duration
}

// CopyLogicalSlots copies logical slot files from the primary.
type CopyLogicalSlots struct {
	action
	Slots []string
}

// CancelAsync cancels the running task; TerminateStarting also kills a postmaster the
// task may have just spawned.
type CancelAsync struct {
	action
	TerminateStarting bool
}

// ResetResponse clears the promote/bootstrap task response.
type ResetResponse struct{ action }

// StopPostgres stops PostgreSQL in Mode (smart, fast, immediate).
type StopPostgres struct {
	action
	Mode string
}

// MoveDataDir renames the data directory to <data_dir>.failed.
type MoveDataDir struct{ action }

// SetSyncStandbyNames rewrites synchronous_standby_names from Names (sorted, quoted;
// "*" gives the strict placeholder) and reloads; Num is the quorum/num prefix (0 =
// number of names).
type SetSyncStandbyNames struct {
	action
	Names []string
	Num   int
}

// RestoreUserSyncStandbyNames sets synchronous_standby_names to the user's
// postgresql.parameters value (or removes it) when synchronous_mode is off.
type RestoreUserSyncStandbyNames struct{ action }

// GenerateWAL runs a tiny transaction (txid_current) with synchronous_commit=off.
type GenerateWAL struct{ action }

// EnsureCheckpointAfterPromote schedules/polls the post-promote CHECKPOINT (§10.5).
type EnsureCheckpointAfterPromote struct{ action }

// FireCallback runs a user callback asynchronously.
type FireCallback struct {
	action
	Callback string // on_start, on_role_change, ...
	Role     cluster.Role
}

// SetRole changes the state handler's internal role.
type SetRole struct {
	action
	Role cluster.Role
}

// SetState changes the state handler's PostgreSQL state string.
type SetState struct {
	action
	State string
}

// DisableWatchdog, KeepaliveWatchdog operate the watchdog device.
type DisableWatchdog struct{ action }

// KeepaliveWatchdog kicks the watchdog.
type KeepaliveWatchdog struct{ action }

// SanityChecksAfterPause re-reads sysid/major version and resyncs slots after a pause.
type SanityChecksAfterPause struct{ action }

// ResumeReplay resumes WAL replay paused by a hot-standby parameter change (PG ≥ 14).
type ResumeReplay struct{ action }

// DeleteScheduledRestart forgets the scheduled restart.
type DeleteScheduledRestart struct{ action }

// Sleep pauses the plan (the residual delay of a scheduled action).
type Sleep struct {
	action
	For time.Duration
}

// RemoteMember is the follow target name for a standby cluster's remote member.
const RemoteMember = "<remote>"

// Exit terminates the Patroni process with Code (fatal conditions).
type Exit struct {
	action
	Code   int
	Reason string
}

func (TouchMember) String() string          { return "TouchMember" }
func (CancelInitialization) String() string { return "CancelInitialization" }
func (WriteConfig) String() string          { return "WriteConfig" }
func (UpdateHistory) String() string        { return "UpdateHistory" }
func (PostBootstrap) String() string        { return "PostBootstrap" }
func (Promote) String() string              { return "Promote" }
func (CrashRecovery) String() string        { return "CrashRecovery" }
func (ResetResponse) String() string        { return "ResetResponse" }
func (MoveDataDir) String() string          { return "MoveDataDir" }
func (GenerateWAL) String() string          { return "GenerateWAL" }
func (DisableWatchdog) String() string      { return "DisableWatchdog" }
func (KeepaliveWatchdog) String() string    { return "KeepaliveWatchdog" }
func (SanityChecksAfterPause) String() string {
	return "SanityChecksAfterPause"
}
func (ResumeReplay) String() string                { return "ResumeReplay" }
func (DeleteScheduledRestart) String() string      { return "DeleteScheduledRestart" }
func (RestoreUserSyncStandbyNames) String() string { return "RestoreUserSyncStandbyNames" }
func (EnsureCheckpointAfterPromote) String() string {
	return "EnsureCheckpointAfterPromote"
}
func (a WriteInitialize) String() string {
	return kv("WriteInitialize", "create_new", a.CreateNew, "sysid", a.Sysid)
}
func (a SetFailover) String() string {
	if a.Failover.IsEmpty() {
		return kv("SetFailover", "clear", true, "version", a.Version)
	}
	return kv("SetFailover", "leader", a.Failover.Leader, "member", a.Failover.Member, "version", a.Version)
}
func (a DeleteLock) String() string   { return kv("DeleteLock", "last_lsn", a.LastLSN) }
func (a RunAsync) String() string     { return fmt.Sprintf("RunAsync{%q %s}", a.Name, a.Task) }
func (a Bootstrap) String() string    { return kv("Bootstrap", "standby_leader", a.StandbyLeader) }
func (a Clone) String() string        { return kv("Clone", "from", q(a.From), "from_leader", a.FromLeader) }
func (a StartPrimary) String() string { return kv("StartPrimary", "timeout", a.Timeout) }
func (a Follow) String() string {
	return kv("Follow", "target", q(a.Target), "remote", a.Remote, "role", a.Role, "reload", a.Reload, "timeout", a.Timeout)
}
func (a Demote) String() string       { return kv("Demote", "mode", a.Mode) }
func (a Rewind) String() string       { return kv("Rewind", "from", a.From) }
func (a Reinitialize) String() string { return kv("Reinitialize", "from", q(a.From)) }
func (a Restart) String() string      { return kv("Restart", "timeout", a.Timeout) }
func (a CopyLogicalSlots) String() string {
	return kv("CopyLogicalSlots", "slots", fmt.Sprint(a.Slots))
}
func (a CancelAsync) String() string {
	return kv("CancelAsync", "terminate_starting", a.TerminateStarting)
}
func (a StopPostgres) String() string { return kv("StopPostgres", "mode", a.Mode) }
func (a SetSyncStandbyNames) String() string {
	return kv("SetSyncStandbyNames", "names", fmt.Sprint(a.Names), "num", a.Num)
}
func (a FireCallback) String() string { return kv("FireCallback", "cb", a.Callback, "role", a.Role) }
func (a SetRole) String() string      { return kv("SetRole", "role", a.Role) }
func (a SetState) String() string     { return kv("SetState", "state", q(a.State)) }
func (a Sleep) String() string        { return kv("Sleep", "for", a.For) }
func (a Exit) String() string         { return kv("Exit", "code", a.Code) }

func q(s string) string {
	if s == "" {
		return `""`
	}
	return s
}
