package ha

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

const (
	taskCrashRecovery  = "doing crash recovery in a single user mode"
	taskStartPrimary   = "starting primary after failure"
	taskRestartFailure = "restarting after failure"
)

// updateLock renews the leader key (a gate). A DCS error unwinds to §15.
func (d *decider) updateLock(writeStatus bool) bool {
	fs := d.failsafeConfig()
	r := d.gate(UpdateLock{WriteStatus: writeStatus, Failsafe: fs})
	if r.DCSError {
		panic(dcsFailure{})
	}
	d.setIsLeader(r.OK, r.Started)
	if r.OK {
		d.do(KeepaliveWatchdog{})
		if fs != nil {
			// What we just wrote is what replicas will check themselves against, so
			// the failsafe round must ask exactly these members (sim seed 7297).
			d.mem.LastFailsafe = fs
		}
	}
	return r.OK
}

// acquireLock races for the leader key (a gate). A DCS error unwinds to §15.
func (d *decider) acquireLock() bool {
	r := d.gate(AcquireLock{})
	if r.DCSError {
		panic(dcsFailure{})
	}
	d.setIsLeader(r.OK, r.Started)
	if !r.OK {
		d.logf(slog.LevelInfo, "Could not take out TTL lock")
	}
	return r.OK
}

// reload re-reads the cluster (a gate) and repeats the step A bookkeeping.
func (d *decider) reload() {
	r := d.gate(ReloadView{})
	if r.DCSError || r.View == nil {
		panic(dcsFailure{})
	}
	d.v = r.View
	d.loadView()
}

func (d *decider) failsafeConfig() cluster.Failsafe {
	if !d.s.FailsafeMode {
		return nil
	}
	out := cluster.Failsafe{}
	for _, m := range d.v.Members {
		if m.APIURL != "" {
			out[m.Name] = m.APIURL
		}
	}
	if _, ok := out[d.me()]; !ok {
		out[d.me()] = d.l.APIURL
	}
	return out
}

// handleLongActionInProgress is ha-loop.md §13.
func (d *decider) handleLongActionInProgress() string {
	action := d.async
	if d.hasLock() && d.updateLock(false) {
		if action == taskCrashRecovery {
			left := d.s.PrimaryStartTimeout - d.now.Sub(d.mem.CrashRecoveryStarted)
			if left <= 0 && d.isFailoverPossible(0, false) {
				d.logf(slog.LevelInfo, "Demoting self because crash recovery is taking too long")
				d.do(CancelAsync{})
				d.demote(DemoteImmediate)
				return "terminated crash recovery because of startup timeout"
			}
		}
		return "updated leader lock during " + action
	} else if !d.mem.Bootstrapping && !d.s.Paused {
		if action == "promote" && !d.l.Async.PrePromoteDone {
			d.do(CancelAsync{})
			return "lost leader before promote"
		}
		if d.role.IsPrimary() {
			d.logf(slog.LevelInfo, "Demoting primary during %s", action)
			if action == "restart" || action == taskStartPrimary {
				d.do(CancelAsync{TerminateStarting: true})
			}
			d.demote(DemoteImmediateNoLock)
			return "lost leader lock during " + action
		}
	}
	if d.v.IsUnlocked() {
		d.logf(slog.LevelInfo, "not healthy enough for leader race")
	}
	return action + " in progress"
}

// handleStartingInstance is §14's start timeout; ok=false continues the cycle.
func (d *decider) handleStartingInstance() (string, bool) {
	if d.state != "starting" || d.s.Paused {
		d.mem.StartTimeout = 0
		if d.s.Paused {
			st := "stopped"
			if d.running {
				st = "running"
			}
			if d.state != st {
				d.setState(st)
			}
		}
		return "", false
	}
	if !d.hasLock() {
		d.logf(slog.LevelInfo, "Still starting up as a standby.")
		return "", false
	}
	if !d.updateLock(false) {
		d.logf(slog.LevelInfo, "Lost lock while starting up. Demoting self.")
		d.demote(DemoteImmediateNoLock)
		return "stopped PostgreSQL while starting up because leader key was lost", true
	}
	timeout := d.mem.StartTimeout
	if timeout == 0 {
		timeout = d.s.PrimaryStartTimeout
	}
	left := timeout - d.now.Sub(d.l.PG.StateSince)
	if left <= 0 {
		if d.isFailoverPossible(0, false) {
			d.logf(slog.LevelInfo, "Demoting self because primary startup is taking too long")
			d.demote(DemoteImmediate)
			return "stopped PostgreSQL because of startup timeout", true
		}
		return "primary start has timed out, but continuing to wait because failover is not possible", true
	}
	if msg, ok := d.processManualFailoverFromLeader(); ok {
		return msg, true
	}
	return fmt.Sprintf("PostgreSQL is still starting up, %.0f seconds until timeout", left.Seconds()), true
}

func crashStateRestartable(s string) bool {
	switch s {
	case "in production", "in crash recovery", "shutting down", "shut down":
		return true
	}
	return false
}

// recover is ha-loop.md §5: PostgreSQL is not running.
func (d *decider) recover() string {
	var timeout time.Duration
	haveLock := false
	if d.hasLock() && d.updateLock(false) {
		haveLock, timeout = true, d.s.PrimaryStartTimeout
		if timeout == 0 && d.isFailoverPossible(0, false) {
			d.do(DisableWatchdog{})
			d.logf(slog.LevelInfo, "Primary crashed. Failing over.")
			d.demote(DemoteImmediate)
			return "stopped PostgreSQL to fail over after a crash"
		}
	}
	pg := &d.l.PG
	if haveLock && timeout > 0 && crashStateRestartable(pg.ClusterState) && d.state == "crashed" &&
		d.role.IsPrimary() && !pg.RecoveryConfExists {
		d.runAsync(taskStartPrimary, StartPrimary{Timeout: timeout})
		d.mem.Recovering = true
		return taskStartPrimary
	}
	d.do(DisableWatchdog{})
	switch pg.ClusterState {
	case "in production", "shutting down", "in crash recovery":
		if pg.RestoredFromBackup {
			d.logf(slog.LevelInfo, "Skipping single-user crash recovery because backup_label exists;"+
				" PostgreSQL will handle it during normal startup")
		} else if msg, ok := d.handleCrashRecovery(); ok {
			return msg
		}
	}
	d.reload()
	msg, f, ok := d.recoverTarget()
	if !ok {
		return msg
	}
	f.Timeout = timeout
	d.runAsync(taskRestartFailure, f)
	d.mem.Recovering = true
	return msg
}

// recoverTarget picks the message and the Follow of recover(); ok=false returns msg.
func (d *decider) recoverTarget() (string, Follow, bool) {
	f := Follow{Role: cluster.RoleReplica}
	if d.hasLock() && !d.s.StandbyCluster {
		d.mem.Rewind = RewindInitial
		return "starting as readonly because i had the session lock", f, true
	}
	if !d.rewindExecuted() {
		d.triggerCheckDiverged()
	}
	if msg, ok := d.handleRewindOrReinitialize(); ok {
		return msg, f, false
	}
	var msg string
	switch {
	case d.hasLock():
		msg, f.Role = "starting as a standby leader because i had the session lock", cluster.RoleStandbyLeader
		f.Target, f.Remote = d.nodeToFollow()
	case d.s.StandbyCluster && d.v.IsUnlocked():
		msg = "trying to follow a remote member because standby cluster is unhealthy"
		f.Target, f.Remote = RemoteMember, true
	default:
		msg = "starting as a secondary"
		f.Target, f.Remote = d.nodeToFollow()
	}
	if d.s.syncEnabled() {
		d.do(SetSyncStandbyNames{})
	}
	return msg, f, true
}

// handleCrashRecovery starts single-user crash recovery once.
func (d *decider) handleCrashRecovery() (string, bool) {
	if d.mem.CrashRecoveryStarted.IsZero() && (d.v.IsUnlocked() || d.l.PG.CanRewind) {
		d.mem.CrashRecoveryStarted = d.now
		d.runAsync(taskCrashRecovery, CrashRecovery{})
		return taskCrashRecovery, true
	}
	return "", false
}
