package ha

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// processHealthyCluster is ha-loop.md §7: somebody holds the leader key.
func (d *decider) processHealthyCluster() string {
	if !d.hasLock() {
		owner := d.leaderName()
		if d.s.StandbyCluster {
			return d.follow("cannot be a real primary in a standby cluster",
				fmt.Sprintf("no action. I am (%s), a secondary, and following a standby leader (%s)", d.me(), owner), false)
		}
		return d.follow("demoting self because I do not have the lock and I was a leader",
			fmt.Sprintf("no action. I am (%s), a secondary, and following a leader (%s)", d.me(), owner), false)
	}
	if d.s.Paused && !d.isPrimary {
		if f := d.failover(); f != nil && f.Member == d.me() {
			return "waiting to become primary after promote..."
		}
		if !d.s.StandbyCluster {
			d.releaseLockNoTouch()
			return "removed leader lock because postgres is not running as primary"
		}
	}
	if !d.updateLock(true) {
		d.logf(slog.LevelError, "failed to update leader lock")
		if d.isPrimary {
			if d.s.Paused {
				return "continue to run as primary after failing to update leader lock in DCS"
			}
			d.demote(DemoteImmediateNoLock)
			return "demoted self because failed to update leader lock in DCS"
		}
		return "not promoting because failed to update leader lock in DCS"
	}
	if msg, ok := d.processManualFailoverFromLeader(); ok {
		return msg
	}
	if d.isPrimary && !d.l.PG.CheckpointAfterPromoteDone {
		d.do(EnsureCheckpointAfterPromote{})
	}
	if d.s.StandbyCluster {
		msg := "promoted self to a standby leader because i had the session lock"
		if d.role == cluster.RoleStandbyLeader {
			msg = fmt.Sprintf("no action. I am (%s), the standby leader with the lock", d.me())
		}
		return d.follow("cannot be a real primary in standby cluster", msg, true)
	}
	return d.enforcePrimaryRole(fmt.Sprintf("no action. I am (%s), the leader with the lock", d.me()),
		"promoted self to leader because I had the session lock")
}

// processManualFailoverFromLeader is §7.1; ok reports a message.
func (d *decider) processManualFailoverFromLeader() (string, bool) {
	f := d.failover()
	if f == nil || (d.s.Paused && !d.isPrimary) {
		return "", false
	}
	action := d.failoverAction()
	bare := strings.Replace(action, "manual ", "", 1)
	cleanup := SetFailover{Version: f.Version}
	if (f.ScheduledAt != nil || f.ScheduledAtRaw != "") &&
		!d.shouldRunScheduledAction(bare, f.ScheduledAt, f.ScheduledAtRaw, cleanup) {
		return "", false
	}
	switch {
	case f.Leader != "" && f.Leader != d.me():
		d.logf(slog.LevelWarn, "%s: leader name does not match: %s != %s", action, f.Leader, d.me())
	case f.Member != "" && f.Member == d.me():
		d.logf(slog.LevelWarn, "%s: I am already the leader, no need to %s", action, bare)
	case f.Member == "" && d.s.Paused:
		d.logf(slog.LevelWarn, "%s is possible only to a specific candidate in a paused state", title(action))
	case d.isFailoverPossible(0, false):
		d.runAsync(action+": demote", Demote{Mode: DemoteGraceful})
		return action + ": demoting myself", true
	default:
		d.logf(slog.LevelWarn, "%s: no healthy members found, %s is not possible", action, bare)
	}
	d.logf(slog.LevelInfo, "Cleaning up failover key")
	d.do(cleanup)
	return "", false
}

// enforcePrimaryRole is §7.2. Only reached right after a successful acquire or update
// of the leader key in this cycle.
func (d *decider) enforcePrimaryRole(noAction, promoteMsg string) string {
	if !d.s.Paused {
		if !d.l.WatchdogRunning && d.s.Watchdog != WatchdogOff && !d.gate(ActivateWatchdog{}).OK {
			if d.isPrimary {
				d.demote(DemoteImmediate)
				return "Demoting self because watchdog could not be activated"
			}
			d.releaseLock(0)
			return "Not promoting self because watchdog could not be activated"
		}
		if d.l.Async.Response == ResponseFalse {
			d.logf(slog.LevelWarn, "Releasing the leader key voluntarily because the pre-promote script failed")
			d.mem.ReleasedLeaderKeyAt = d.now
			d.releaseLock(0)
			d.do(ResetResponse{})
			return "Promotion cancelled because the pre-promote script failed"
		}
	}
	if d.isPrimary {
		if d.role != cluster.RolePrimary {
			d.setRole(cluster.RolePrimary)
		}
		d.processSyncReplication()
		d.do(UpdateHistory{})
		return noAction
	}
	if d.role == cluster.RolePrimary || d.role == cluster.RolePromoted || d.role == cluster.RoleMaster {
		d.processSyncReplication()
		return noAction
	}
	if !d.isLeader() {
		// Defence in depth: never promote without a lock operation that succeeded
		// less than ttl ago (e.g. the executor stalled while acquiring).
		d.logf(slog.LevelError, "not promoting: the leader key was not confirmed within ttl")
		return "not promoting because failed to update leader lock in DCS"
	}
	if !d.processSyncPrepromote() {
		return "Postponing promotion because synchronous replication state was updated by somebody else"
	}
	d.mem.FailsafeActiveAt = time.Time{}
	d.mem.LastTimeline = 0
	d.mem.Rewind = RewindInitial
	d.do(ResetResponse{})
	d.runAsync("promote", Promote{})
	return promoteMsg
}
