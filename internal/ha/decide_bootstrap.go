package ha

import (
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// bootstrap is ha-loop.md §4.1 (data directory empty, not paused).
func (d *decider) bootstrap() string {
	if d.v.IsUnlocked() && d.v.Initialize == nil && !d.s.Tags.NoFailover && d.s.HasBootstrapSection {
		if !d.gate(InitializeRace{}).OK {
			return "failed to acquire initialize lock"
		}
		d.mem.Bootstrapping = true
		d.do(ResetResponse{})
		if d.s.StandbyCluster {
			d.runAsync("bootstrap_standby_leader", Bootstrap{StandbyLeader: true})
			return "trying to bootstrap a new standby leader"
		}
		d.runAsync("bootstrap", Bootstrap{})
		return "trying to bootstrap a new cluster"
	}
	if src := d.cloneMember(); !d.v.IsUnlocked() && src != "" {
		role := "replica"
		if src == d.leaderName() {
			role = "leader"
		}
		msg := fmt.Sprintf("from %s '%s'", role, src)
		d.runAsync("bootstrap "+msg, Clone{From: src})
		return "trying to bootstrap " + msg
	}
	concurrent := d.v.Initialize != nil && *d.v.Initialize == ""
	if d.s.ReplicaWithoutLeader && !concurrent {
		d.runAsync("bootstrap (without leader)", Clone{})
		return "trying to bootstrap (without leader)"
	}
	if d.s.StandbyCluster {
		return "waiting for standby_leader to bootstrap"
	}
	return "waiting for leader to bootstrap"
}

// cloneMember is get_clone_member: a running clonefrom member other than me and the
// leader, else the leader. Patroni picks randomly; Decide takes the first by name so
// that it stays deterministic.
func (d *decider) cloneMember() string {
	var names []string
	for _, m := range d.v.Members {
		if m.Name == d.me() || m.Name == d.leaderName() || !m.IsRunning() {
			continue
		}
		if cluster.Tags(m.Tags).CloneFrom() {
			names = append(names, m.Name)
		}
	}
	if len(names) > 0 {
		sort.Strings(names)
		return names[0]
	}
	return d.leaderName()
}

// postBootstrap is §4.3.
func (d *decider) postBootstrap() string {
	resp := d.l.Async.Response
	if !d.running || resp == ResponseFalse {
		return d.cancelInitialization()
	}
	if resp == ResponseNone {
		if !d.isPrimary {
			return "waiting for end of recovery after bootstrap"
		}
		d.setRole(cluster.RolePrimary)
		d.runAsync("post_bootstrap", PostBootstrap{})
		return "running post_bootstrap"
	}
	d.mem.Bootstrapping = false
	if !d.l.WatchdogRunning && d.s.Watchdog != WatchdogOff && !d.gate(ActivateWatchdog{}).OK {
		d.logf(slog.LevelError, "Cancelling bootstrap because watchdog activation failed")
		return d.cancelInitialization()
	}
	d.do(EnsureCheckpointAfterPromote{},
		WriteInitialize{CreateNew: d.v.Initialize == nil, Sysid: d.l.PG.Sysid},
		WriteConfig{})
	r := d.gate(TakeLeader{})
	d.setIsLeader(r.OK, r.Started)
	if d.s.syncEnabled() {
		var names []string
		if d.s.SynchronousModeStrict {
			names = []string{"*"}
		}
		d.do(SetSyncStandbyNames{Names: names})
		// Claim /sync now rather than on the next cycle (Patroni): until it exists the
		// cluster races as if asynchronous, so a new primary dying within its first
		// loop could lose commits acknowledged with an empty ssn (found by the simulator).
		if _, ok := d.writeSync(nil, syncVersion(d.v.Sync)); ok {
			d.logf(slog.LevelInfo, "Enabled synchronous replication")
		}
	}
	d.fireCallback("on_start")
	return "initialized a new cluster"
}

func (d *decider) cancelInitialization() string {
	d.logf(slog.LevelInfo, "removing initialize key after failed attempt to bootstrap the cluster")
	d.mem.Bootstrapping = false
	d.do(CancelInitialization{}, StopPostgres{Mode: "immediate"}, MoveDataDir{},
		Exit{Code: 1, Reason: "Failed to bootstrap cluster"})
	return "Failed to bootstrap cluster"
}

// shouldRunScheduledAction is Patroni's should_run_scheduled_action. A residual delay
// becomes a Sleep action.
func (d *decider) shouldRunScheduledAction(name string, at *time.Time, raw string, cleanup Action) bool {
	if d.s.Paused || (at == nil && raw == "") {
		return false
	}
	if at == nil {
		d.logf(slog.LevelWarn, "Incorrect value of scheduled_at: %s", raw)
		d.do(cleanup)
		return false
	}
	delta := at.Sub(d.now)
	stale := -time.Duration(math.Trunc(d.s.LoopWait.Seconds()*1.5)) * time.Second
	switch {
	case delta > d.s.LoopWait:
		d.logf(slog.LevelInfo, "Awaiting %s at %s (in %.0f seconds)", name, cluster.FormatTimestamp(*at), delta.Seconds())
		return false
	case delta < stale:
		d.logf(slog.LevelWarn, "Found a stale %s value, cleaning up: %s", name, cluster.FormatTimestamp(*at))
		d.do(cleanup)
		return false
	}
	if delta > 0 {
		d.do(Sleep{For: delta})
	}
	d.logf(slog.LevelInfo, "Manual scheduled %s at %s", name, cluster.FormatTimestamp(*at))
	return true
}

// evaluateScheduledRestart is §17; ok=false means "no message".
func (d *decider) evaluateScheduledRestart() (string, bool) {
	sr := d.l.ScheduledRestart
	if d.async != "" || sr == nil {
		return "", false
	}
	now, req := d.l.PG.PostmasterStartTime, sr.PostmasterStartTime
	if now != "" && req != "" && now != req {
		d.logf(slog.LevelInfo, "Cancelling scheduled restart: postgres restart has already happened at %s", now)
		d.do(DeleteScheduledRestart{})
		return "", false
	}
	if !d.shouldRunScheduledAction("restart", &sr.At, "", DeleteScheduledRestart{}) {
		return "", false
	}
	defer d.do(DeleteScheduledRestart{})
	if reason := d.restartMismatch(sr); reason != "" {
		d.logf(slog.LevelInfo, "not proceeding with the restart: %s", reason)
		d.logf(slog.LevelWarn, "Scheduled restart: restart conditions are not satisfied")
		return "", false
	}
	d.mem.Recovering = true
	timeout := sr.Timeout
	if timeout == 0 {
		timeout = d.s.PrimaryStartTimeout
	}
	d.mem.StartTimeout = timeout
	d.runAsync("restart", Restart{Timeout: timeout})
	return "restart initiated", true
}

func (d *decider) restartMismatch(sr *ScheduledRestart) string {
	reason := ""
	if sr.Role != "" && sr.Role != d.role {
		reason = "host role mismatch"
	}
	if sr.PostgresVersion != 0 && sr.PostgresVersion <= d.l.PG.ServerVersion {
		reason = "postgres version mismatch"
	}
	if sr.RestartPending && !d.l.PG.PendingRestart {
		reason = "pending restart flag is not set"
	}
	return reason
}

// title is Python's str.title() for our ASCII action names.
func title(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}
