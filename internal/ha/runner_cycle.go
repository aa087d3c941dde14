package ha

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs"
	"github.com/patroni-go/patroni/internal/pg"
)

// maxPhases bounds the Decide calls of one cycle; a cycle has a handful of gates.
const maxPhases = 64

// cycle runs one HA cycle: read, observe, decide in phases, act, publish.
func (r *Runner) cycle(ctx context.Context) error {
	now := time.Now()
	r.mu.Lock()
	r.cycleReleased = r.released // before the read: a release after it makes the view stale
	r.mu.Unlock()
	view, loadErr := r.load(ctx)
	settings, pgChanged := r.d.Config.Apply(view)
	r.d.Store.SetTiming(dcs.Timing{TTL: settings.TTL, LoopWait: settings.LoopWait, RetryTimeout: settings.RetryTimeout})
	r.mu.Lock()
	r.settings = settings
	r.mu.Unlock()
	if pgChanged {
		r.rewritePGConfig(ctx)
	}
	if loadErr != nil {
		r.log.Error("Error communicating with DCS", "error", loadErr)
	}
	in := Input{View: view, ViewErr: loadErr != nil, Local: r.observe(ctx, view, &settings), Settings: settings, Now: now}
	for phase := 0; ; phase++ {
		if phase == maxPhases {
			return fmt.Errorf("ha: cycle did not finish after %d phases", maxPhases)
		}
		if stalled := time.Since(now); stalled > stallLimit(settings) {
			// We were frozen (SIGSTOP, a stuck disk) in the middle of a cycle: what it
			// decided is stale. Start over from a fresh read.
			r.log.Warn("HA cycle stalled; discarding the rest of its plan", "stalled", stalled)
			return nil
		}
		p := Decide(in)
		r.emit(p.Logs)
		if err := r.runActions(ctx, p.Actions, &in); err != nil {
			return err
		}
		if p.Gate == nil {
			r.finishCycle(ctx, p, in.Settings)
			return nil
		}
		in.Results = append(in.Results, r.runGate(ctx, p.Gate, &in))
	}
}

// stallLimit is how long a cycle may take before its plan is no longer trusted
// (ttl/2 + 4 × retry_timeout, from the simulator's findings; see the package doc).
func stallLimit(s Settings) time.Duration { return s.TTL/2 + 4*s.RetryTimeout }

// load reads the cluster and remembers it for the REST API.
func (r *Runner) load(ctx context.Context) (*cluster.View, error) {
	lctx, cancel := r.opCtx(ctx)
	defer cancel()
	v, err := r.d.Store.Load(lctx)
	if err != nil {
		return nil, err
	}
	r.rememberView(v)
	return v, nil
}

func (r *Runner) rememberView(v *cluster.View) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range v.Problems {
		r.log.Debug("DCS value does not parse", "problem", p)
	}
	r.view, r.viewTime = v, time.Now()
	if !v.IsUnlocked() && !v.HasLock(r.d.Name) {
		r.leaderUntil = time.Time{}
	}
}

func (r *Runner) finishCycle(ctx context.Context, p Plan, s Settings) {
	r.mu.Lock()
	r.memory = p.Memory
	r.mu.Unlock()
	if p.TouchMember {
		r.touchMember(ctx)
	}
	r.log.Info(p.Message)
	r.publish()
}

func (r *Runner) emit(lines []LogLine) {
	for _, l := range lines {
		r.log.Log(context.Background(), l.Level, l.Msg)
	}
}

// observe builds Local: what PostgreSQL is now plus the HA state kept between cycles.
func (r *Runner) observe(ctx context.Context, view *cluster.View, s *Settings) Local {
	static := r.d.Config.Member()
	wdRunning, wdHealthy := false, s.Watchdog != WatchdogRequired
	if wd := r.d.Watchdog; wd != nil {
		wd.SetTiming(s.TTL, s.LoopWait)
		wdRunning, wdHealthy = wd.IsRunning(), wd.IsHealthy()
	}
	st := r.observePG(ctx, view, s)
	r.mu.Lock()
	defer r.mu.Unlock()
	l := Local{
		Name:             r.d.Name,
		APIURL:           static.APIURL,
		ConnURL:          static.ConnURL,
		PG:               st,
		Async:            AsyncState{Response: r.response, PrePromoteDone: r.prePromote},
		Completed:        r.completed,
		ScheduledRestart: r.restart,
		WatchdogRunning:  wdRunning,
		WatchdogHealthy:  wdHealthy,
		CallbackFired:    r.cbFired,
		Memory:           r.memory,
		Sync:             r.syncObservation(),
	}
	r.completed = nil
	if r.task != nil {
		l.Async.Action = r.task.name
	}
	if r.failsafe != nil && time.Since(r.failsafe.At) < s.TTL {
		fs := *r.failsafe
		l.FailsafeLeader = &fs
	}
	return l
}

// observePG queries PostgreSQL and the data directory.
func (r *Runner) observePG(ctx context.Context, view *cluster.View, s *Settings) PGState {
	srv := r.d.PG
	var st PGState
	st.MajorVersion = srv.Major()
	if _, err := os.Stat(srv.DataDir()); err != nil && !os.IsNotExist(err) {
		st.DataDirError = err.Error()
	}
	st.DataDirEmpty = srv.DataDirEmpty()
	st.Running = srv.IsRunning()
	var obs pg.State
	var obsErr error
	if st.Running {
		qctx, cancel := context.WithTimeout(ctx, queryTimeout(s))
		obs, obsErr = srv.Observe(qctx)
		cancel()
	}
	r.mu.Lock()
	if !st.Running && (r.state == "running" || r.state == "starting") && r.task == nil {
		r.state, r.stateSince = "crashed", time.Now()
	}
	if st.Running && obsErr == nil && r.state != "running" && r.task == nil {
		r.state, r.stateSince = "running", time.Now()
	}
	r.pgObs, r.pgObsOK, r.obsTime = obs, st.Running && obsErr == nil, time.Now()
	st.State, st.StateSince, st.Role = r.state, r.stateSince, r.role
	st.FollowingName = r.following
	followURL := r.followURL
	st.CheckpointAfterPromoteDone = r.checkpoint
	sysid := r.sysid
	r.mu.Unlock()

	if obsErr == nil && st.Running {
		st.IsPrimary = !obs.InRecovery
		st.Timeline = int64(obs.Timeline)
		st.WALPosition = int64(obs.WALPosition)
		st.PostmasterStartTime = obs.PostmasterStart.String()
		st.PendingRestart = len(obs.PendingRestart) > 0
	} else if obsErr != nil {
		r.log.Warn("Error communicating with PostgreSQL", "error", obsErr)
	}
	if !st.DataDirEmpty && st.DataDirError == "" {
		if cd, err := srv.Controldata(ctx); err == nil {
			if sysid == "" && cd.SystemIdentifier != "" {
				sysid = cd.SystemIdentifier
				r.mu.Lock()
				r.sysid = sysid
				r.mu.Unlock()
			}
			st.ClusterState = cd.State
			if !st.Running && st.Timeline == 0 {
				st.Timeline = int64(cd.CheckpointTimeline)
			}
			st.CanRewind = s.UsePgRewind && cd.AllowsRewind()
		}
		st.Sysid = sysid
		st.RecoveryConfExists = srv.RecoveryConfExists()
		_, err := os.Stat(srv.DataDir() + "/backup_label")
		st.RestoredFromBackup = err == nil
	}
	target, remote := NodeToFollow(view, r.d.Name, s)
	st.RecoveryConfNeedsRestart = st.MajorVersion < 13
	switch {
	case target != "" && target == st.FollowingName && !remote:
		st.RecoveryConfStale = memberConnURL(view, target) != followURL
	case remote && st.FollowingName == RemoteMember && st.Running:
		// The remote member is the dynamic standby_cluster section: a PATCH may change
		// host, port, slot or restore_command without anything else changing.
		role := pg.RoleReplica
		if view != nil && view.HasLock(r.d.Name) {
			role = pg.RoleStandbyLeader
		}
		if rc, err := srv.CompareRecovery(ctx, role, r.remoteUpstream()); err == nil && rc.Changed {
			st.RecoveryConfStale, st.RecoveryConfNeedsRestart = true, rc.NeedsRestart
		}
	}
	return st
}

// refreshObservation re-reads PostgreSQL's state outside a cycle (after a promotion).
func (r *Runner) refreshObservation(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if obs, err := r.d.PG.Observe(qctx); err == nil {
		r.mu.Lock()
		r.pgObs, r.pgObsOK, r.obsTime = obs, true, time.Now()
		r.mu.Unlock()
	}
}

func queryTimeout(s *Settings) time.Duration {
	if t := s.RetryTimeout / 2; t > 0 {
		return t
	}
	return 5 * time.Second
}

// syncObservation is the primary's replication state from the last query (r.mu held).
func (r *Runner) syncObservation() SyncObservation {
	if !r.pgObsOK {
		return SyncObservation{}
	}
	o := SyncObservation{SSN: r.pgObs.SynchronousStandbyNames}
	for _, row := range r.pgObs.Replication {
		if row.State != "streaming" {
			continue
		}
		lsn := row.FlushLSN
		switch r.pgObs.SynchronousCommit {
		case "remote_apply":
			lsn = row.ReplayLSN
		case "remote_write":
			lsn = row.WriteLSN
		}
		o.Replication = append(o.Replication, WalSender{ApplicationName: row.ApplicationName, SyncState: row.SyncState, LSN: int64(lsn)})
	}
	return o
}

// memberConnURL is a member's conn_url in the view ("" when unknown).
func memberConnURL(v *cluster.View, name string) string {
	if v == nil {
		return ""
	}
	if m := v.Member(name); m != nil {
		return m.ConnURL
	}
	return ""
}

// isDCSError reports a store that could not be reached (as opposed to a lost compare).
func isDCSError(err error) bool { return err != nil && errors.Is(err, dcs.ErrUnreachable) }

// pgRole maps the HA role onto the role PostgreSQL's configuration is written for.
func pgRole(r cluster.Role) pg.Role {
	switch {
	case r.IsPrimary() || r == cluster.RolePromoted:
		return pg.RolePrimary
	case r == cluster.RoleStandbyLeader:
		return pg.RoleStandbyLeader
	default:
		return pg.RoleReplica
	}
}

// rewritePGConfig applies a changed configuration to a running PostgreSQL by reload.
func (r *Runner) rewritePGConfig(ctx context.Context) {
	if !r.d.PG.IsRunning() {
		return
	}
	r.mu.Lock()
	// The role we run PostgreSQL in, not the last observation: that may predate a
	// promotion, and writing a replica's configuration (standby.signal) into a primary's
	// data directory would bring it back as a replica after its next crash.
	role := pgRole(r.role)
	view, following := r.view, r.following
	r.mu.Unlock()
	var up *pg.Upstream
	if role != pg.RolePrimary {
		up = r.upstream(view, following, following == RemoteMember)
	}
	if err := r.d.PG.WriteConfig(ctx, role, up); err != nil {
		r.log.Error("failed to rewrite the PostgreSQL configuration", "error", err)
		return
	}
	if err := r.d.PG.Reload(); err != nil {
		r.log.Error("failed to reload PostgreSQL", "error", err)
		return
	}
	r.d.Callbacks.Fire("on_reload", string(r.getRole()))
}

var _ = slog.LevelInfo
