package ha

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/patroni-go/patroni/internal/api"
	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/pg"
)

// touchMember publishes our member key (ha-loop.md §3).
func (r *Runner) touchMember(ctx context.Context) {
	data := r.memberData()
	dctx, cancel := r.opCtx(ctx)
	defer cancel()
	if _, err := r.d.Store.TouchMember(dctx, data); err != nil {
		r.log.Warn("failed to update the member key", "error", err)
	}
}

func (r *Runner) memberData() cluster.MemberData {
	static := r.d.Config.Member()
	r.mu.Lock()
	defer r.mu.Unlock()
	d := cluster.MemberData{
		ConnURL: static.ConnURL, APIURL: static.APIURL, ProxyURL: static.ProxyURL,
		State: r.state, Role: r.role, Version: static.Version, Tags: static.Tags,
	}
	if r.isLeaderLocked() && !r.checkpoint {
		f := false
		d.CheckpointAfterPromote = &f
	}
	obs := r.pgObs
	if r.pgObsOK && len(obs.PendingRestart) > 0 {
		d.PendingRestart = true
		d.PendingRestartReason = map[string]cluster.PendingChange{}
		for _, p := range obs.PendingRestart {
			d.PendingRestartReason[p] = cluster.PendingChange{}
		}
	}
	busy := r.task != nil && r.task.name != "promote"
	if r.pgObsOK && !busy && (r.state == "running" || r.state == "restarting" || r.state == "starting") {
		pos := int64(obs.WALPosition)
		d.XLogLocation = &pos
		if obs.InRecovery {
			if v := int64(obs.ReplayedLSN); v > 0 {
				d.ReplayLSN = &v
			}
			if v := int64(obs.ReceivedLSN); v > 0 {
				d.ReceiveLSN = &v
			}
			d.ReplicationState = obs.ReplicationState
		}
		if obs.Timeline > 0 {
			tl := int64(obs.Timeline)
			d.Timeline = &tl
		}
	}
	if sr := r.restart; sr != nil {
		d.ScheduledRestart = map[string]any{"schedule": cluster.FormatTimestamp(sr.At), "postmaster_start_time": sr.PostmasterStartTime}
	}
	d.Pause = r.settings.Paused
	return d
}

// isLeaderLocked is is_leader() with r.mu held.
func (r *Runner) isLeaderLocked() bool { return time.Now().Before(r.leaderUntil) }

// updateHistory rewrites the history key from our timeline history file when the
// primary's timeline moved past what the key records.
func (r *Runner) updateHistory(ctx context.Context, v *cluster.View) {
	r.mu.Lock()
	tl := r.pgObs.Timeline
	r.mu.Unlock()
	if tl <= 1 || v == nil || v.History.LastTimeline() >= int64(tl) {
		return
	}
	text, err := os.ReadFile(filepath.Join(r.d.PG.DataDir(), "pg_wal", fmt.Sprintf("%08X.history", tl)))
	if err != nil {
		r.log.Warn("cannot read the timeline history file", "timeline", tl, "error", err)
		return
	}
	entries, err := pg.ParseHistory(string(text))
	if err != nil {
		r.log.Warn("cannot parse the timeline history file", "error", err)
		return
	}
	old := map[int64]cluster.HistoryLine{}
	if v.History != nil {
		for _, l := range v.History.Lines {
			old[l.Timeline] = l
		}
	}
	var h cluster.History
	for i, e := range entries {
		l, ok := old[int64(e.Parent)]
		if !ok || l.LSN != int64(e.SwitchPoint) {
			ts, leader := "", ""
			if i == len(entries)-1 {
				ts, leader = cluster.FormatTimestamp(time.Now().UTC()), r.d.Name
			}
			l = cluster.NewHistoryLine(int64(e.Parent), int64(e.SwitchPoint), e.Reason, ts, leader)
		}
		h.Lines = append(h.Lines, l)
	}
	if n := r.currentSettings().MaxTimelinesHistory; n > 0 && len(h.Lines) > n {
		h.Lines = h.Lines[len(h.Lines)-n:]
	}
	r.logDCS("history", func() error { return r.d.Store.SetHistory(ctx, h) })
}

// publish hands the REST API a fresh snapshot.
func (r *Runner) publish() {
	if r.d.Publisher == nil {
		return
	}
	static := r.d.Config.Member()
	r.mu.Lock()
	defer r.mu.Unlock()
	obs := r.pgObs
	s := r.settings
	snap := &api.Snapshot{
		Scope: r.d.Scope, Name: r.d.Name, Version: static.Version,
		State: r.state, Role: r.role, Queried: r.pgObsOK,
		InRecovery: obs.InRecovery, PostmasterStartTime: obs.PostmasterStart,
		ServerVersion: r.d.PG.VersionNum(), Timeline: int64(obs.Timeline),
		ReplicationState: obs.ReplicationState, ReplayPaused: obs.ReplayPaused,
		DCSLastSeen: r.viewTime, Tags: static.Tags, SystemID: r.sysid,
		Paused: s.Paused, StandbyCluster: s.StandbyCluster, SynchronousMode: s.syncEnabled(),
		QuorumCommit: s.quorumMode(), FailsafeMode: s.FailsafeMode, MaximumLagOnFailover: s.MaximumLagOnFailover,
		TTL: s.TTL, LoopWait: s.LoopWait, View: r.view, ViewTime: r.viewTime, NextRun: r.nextRun,
	}
	if obs.InRecovery {
		snap.ReceivedLocation, snap.ReplayedLocation = int64(obs.ReceivedLSN), int64(obs.ReplayedLSN)
	} else {
		snap.XLogLocation = int64(obs.WALPosition)
	}
	for _, row := range obs.Replication {
		snap.Replication = append(snap.Replication, api.ReplicationRow{ApplicationName: row.ApplicationName, State: row.State, SyncState: row.SyncState})
	}
	if r.pgObsOK && len(obs.PendingRestart) > 0 {
		snap.PendingRestart = true
	}
	if r.isLeaderLocked() {
		snap.LeaderUntil = r.leaderUntil
	}
	if sr := r.restartReq; sr != nil && r.restart != nil {
		snap.ScheduledRestart = &api.ScheduledRestart{Schedule: r.restart.At, Role: sr.Role, PostgresVersion: sr.PostgresVersion,
			RestartPending: sr.RestartPending, Timeout: sr.Timeout}
	}
	snap.WatchdogFailed = r.d.Watchdog != nil && !r.d.Watchdog.IsHealthy()
	snap.FailsafeActive = r.failsafe != nil && time.Since(r.failsafe.At) < s.TTL || !r.memory.FailsafeActiveAt.IsZero()
	r.d.Publisher.Publish(snap)
}
