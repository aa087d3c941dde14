package ha

import (
	"log/slog"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// runCycle is _run_cycle steps A–M (ha-loop.md §2).
func (d *decider) runCycle() string {
	d.loadView()   // A
	d.pauseBooks() // B
	if d.v.Member(d.me()) == nil {
		d.do(TouchMember{}) // C
	}
	if d.hasLock() && !isValidSysid(d.v.Initialize) { // D
		d.do(WriteInitialize{CreateNew: d.v.Initialize == nil, Sysid: d.l.PG.Sysid})
	}
	if d.hasLock() && (d.v.Config == nil || len(d.v.Config.Data) == 0) { // E
		d.do(WriteConfig{})
	}
	if d.async != "" { // F
		return d.handleLongActionInProgress()
	}
	if msg, ok := d.handleStartingInstance(); ok { // G
		return msg
	}
	if d.mem.Bootstrapping { // H
		return d.postBootstrap()
	}
	if d.mem.Recovering { // I
		if msg, ok := d.afterRecovering(); ok {
			return msg
		}
	}
	if msg, ok := d.checkDataDirectory(); ok { // J
		return msg
	}
	if !d.running { // K
		if msg, ok := d.pgNotRunning(); ok {
			return msg
		}
		return d.recover()
	}
	var ret string // L
	if d.v.IsUnlocked() {
		ret = d.processUnhealthyCluster()
	} else {
		msg := d.processHealthyCluster()
		if r, ok := d.evaluateScheduledRestart(); ok {
			ret = r
		} else {
			ret = msg
		}
	}
	return d.slotsAndStartCallback(ret) // M
}

// loadView is step A after the executor's read: old_cluster, failsafe leader injection
// and is_leader invalidation.
func (d *decider) loadView() {
	v := d.v
	if !v.IsUnlocked() || d.mem.OldView == nil {
		d.mem.OldView = v
	}
	d.mem.LastFailsafe = v.Failsafe
	if v.IsUnlocked() && d.s.FailsafeMode {
		// A POST /failsafe naming myself is garbage: it must never make me a lock holder.
		if f := d.l.FailsafeLeader; f != nil && f.Name != "" && f.Name != d.me() && d.now.Before(f.At.Add(d.s.TTL)) {
			cp := *v
			m := &cluster.Member{Name: f.Name, MemberData: cluster.MemberData{
				ConnURL: f.ConnURL, APIURL: f.APIURL, State: "running", Role: cluster.RolePrimary}}
			cp.Leader = &cluster.Leader{Name: f.Name, Member: m}
			d.v = &cp
		}
	}
	if !d.hasLock() {
		d.setIsLeader(false, time.Time{})
	}
}

// pauseBooks is step B.
func (d *decider) pauseBooks() {
	if d.s.Paused {
		d.do(DisableWatchdog{})
		d.mem.WasPaused = true
		return
	}
	if d.mem.WasPaused {
		d.do(SanityChecksAfterPause{})
		d.mem.Rewind = RewindInitial
	}
	d.mem.WasPaused = false
}

// afterRecovering is step I: a start after failure/restart just finished.
func (d *decider) afterRecovering() (string, bool) {
	d.mem.Recovering = false
	if !d.rewindIsNeeded() && !d.running {
		d.do(DisableWatchdog{})
		if d.hasLock() {
			if d.role.IsPrimary() || d.role == cluster.RoleStandbyLeader {
				d.setRole(cluster.RoleDemoted)
				d.fireCallback("on_role_change")
			}
			d.releaseLockNoTouch()
			return "removed leader key after trying and failing to start postgres", true
		}
		return "failed to start postgres", true
	}
	d.mem.CrashRecoveryStarted = time.Time{}
	if d.rewindExecuted() && d.mem.Rewind != RewindFailed {
		d.mem.Rewind = RewindInitial
	}
	return "", false
}

// releaseLockNoTouch is Patroni's _delete_leader (no member touch, no log line).
func (d *decider) releaseLockNoTouch() {
	d.setIsLeader(false, time.Time{})
	d.do(DeleteLock{})
}

// checkDataDirectory is step J.
func (d *decider) checkDataDirectory() (string, bool) {
	pg := &d.l.PG
	if pg.DataDirError != "" || pg.DataDirEmpty {
		d.setRole(cluster.RoleUninitialized)
		d.do(StopPostgres{Mode: "immediate"}, DisableWatchdog{})
		d.running, d.isPrimary = false, false
		if d.hasLock() {
			d.releaseLock(0)
			what := "empty"
			if pg.DataDirError != "" {
				what = "not accessible"
			}
			return "released leader key voluntarily as data dir " + what + " and currently leader", true
		}
		if pg.DataDirError != "" {
			return "data directory is not accessible: " + pg.DataDirError, true
		}
		if d.s.Paused {
			return "running with empty data directory", true
		}
		return d.bootstrap(), true
	}
	if !validSysid(pg.Sysid) {
		return "data dir for the cluster is not empty, but system ID is invalid; consider doing reinitialize", true
	}
	if isValidSysid(d.v.Initialize) {
		if *d.v.Initialize != pg.Sysid {
			return d.sysidMismatch()
		}
		return "", false
	}
	if d.v.IsUnlocked() && !d.s.Paused && !d.cbCalled {
		if d.running && !d.isPrimary {
			d.mem.JoinAborted = true
			d.logf(slog.LevelError, "No initialize key in DCS and PostgreSQL is running as replica, aborting start")
			d.logf(slog.LevelError, "Please first start Patroni on the node running as primary")
			d.do(Exit{Code: 1, Reason: "No initialize key in DCS and PostgreSQL is running as replica"})
			return "No initialize key in DCS and PostgreSQL is running as replica, aborting start", true
		}
		d.do(WriteInitialize{CreateNew: d.v.Initialize == nil, Sysid: pg.Sysid})
	}
	return "", false
}

func (d *decider) sysidMismatch() (string, bool) {
	dcsID, mine := *d.v.Initialize, d.l.PG.Sysid
	if d.s.Paused {
		d.logf(slog.LevelWarn, "system ID has changed while in paused mode. Patroni will exit when resuming"+
			" unless system ID is reset: %s != %s", dcsID, mine)
		if d.hasLock() {
			d.releaseLock(0)
			return "released leader key voluntarily due to the system ID mismatch", true
		}
		return "", false
	}
	reason := "system ID mismatch, node " + d.me() + " belongs to a different cluster: " + dcsID + " != " + mine
	d.logf(slog.LevelError+4, "%s", reason)
	d.do(Exit{Code: 1, Reason: reason})
	return reason, true
}

// pgNotRunning is step K before recover(): the paused special cases.
func (d *decider) pgNotRunning() (string, bool) {
	if d.s.Paused {
		d.setState("stopped")
		if d.hasLock() {
			d.releaseLockNoTouch()
			return "removed leader lock because postgres is not running", true
		}
		if d.mem.Rewind == RewindFailed ||
			(!d.rewindExecuted() && !(d.rewindIsNeeded() && d.canRewindOrReinit())) {
			return "postgres is not running", true
		}
	}
	if d.state == "running" || d.state == "starting" {
		d.setState("crashed")
	}
	return "", false
}

// slotsAndStartCallback is step M.
func (d *decider) slotsAndStartCallback(ret string) string {
	promoting := d.async == "promote"
	if (d.async != "" && !promoting) || d.state == "starting" {
		return ret
	}
	r := d.gate(SyncSlots{})
	if !d.cbCalled {
		if !promoting && !d.isPrimary {
			d.triggerCheckDiverged()
		}
		d.fireCallback("on_start")
	}
	if !promoting && len(r.Slots) > 0 && !d.v.IsUnlocked() && !d.failsafeIsActive() {
		d.runAsync("copy_logical_slots", CopyLogicalSlots{Slots: r.Slots})
		return "Copying logical slots " + pyList(r.Slots) + " from the primary"
	}
	return ret
}

func (d *decider) failsafeIsActive() bool {
	if d.l.FailsafeLeader != nil && d.now.Before(d.l.FailsafeLeader.At.Add(d.s.TTL)) {
		return true
	}
	t := d.mem.FailsafeActiveAt
	return !t.IsZero() && d.now.Before(t.Add(d.s.TTL))
}

// pyList renders names like Python's repr of a list of str.
func pyList(names []string) string {
	out := "["
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += "'" + n + "'"
	}
	return out + "]"
}
