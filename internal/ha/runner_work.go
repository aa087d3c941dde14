package ha

import (
	"context"
	"errors"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/pg"
)

// runTask carries out a long action (usually in the background slot) and reports
// success. v and s are the view and settings of the cycle that decided it.
func (r *Runner) runTask(ctx context.Context, a Action, v *cluster.View, s Settings) bool {
	switch a := a.(type) {
	case Bootstrap:
		return r.bootstrap(ctx, v, s, a.StandbyLeader)
	case PostBootstrap:
		err := r.d.PG.PostBootstrap(ctx)
		if errors.Is(err, pg.ErrStillInRecovery) {
			return false
		}
		if err != nil {
			r.log.Error("post_bootstrap failed", "error", err)
			r.setResponse(ResponseFalse)
			return false
		}
		r.setResponse(ResponseTrue)
		return true
	case Clone:
		return r.clone(ctx, v, s, a.From, a.FromLeader)
	case StartPrimary:
		return r.start(ctx, pg.StartOptions{Role: pg.RolePrimary, Timeout: a.Timeout}, "on_start")
	case Follow:
		return r.follow(ctx, v, s, a.Target, a.Remote, a.Role, a.Timeout)
	case Promote:
		return r.promote(ctx, s)
	case Demote:
		r.demote(ctx, v, s, a.Mode, true)
		return true
	case Rewind:
		return r.rewind(ctx, v, a.From)
	case Reinitialize:
		return r.reinitialize(ctx, v, s, a.From)
	case CrashRecovery:
		if err := r.d.PG.CrashRecovery(ctx); err != nil {
			r.log.Error("crash recovery failed", "error", err)
			return false
		}
		return true
	case Restart:
		return r.restartPG(ctx, v, s, a.Timeout)
	case CopyLogicalSlots:
		return r.copyLogicalSlots(ctx, v, s, a.Slots)
	default:
		r.log.Error("not a task", "action", a.String())
		return false
	}
}

// upstream describes member name (or the standby cluster's remote member) for pg.
func (r *Runner) upstream(v *cluster.View, name string, remote bool) *pg.Upstream {
	if remote || name == RemoteMember {
		return r.remoteUpstream()
	}
	if name == "" || v == nil {
		return nil
	}
	url := memberConnURL(v, name)
	if url == "" && v.Leader != nil && v.Leader.Name == name && v.Leader.Member != nil {
		url = v.Leader.Member.ConnURL
	}
	if url == "" {
		return nil
	}
	conn, err := pg.ParseConnURL(url)
	if err != nil {
		r.log.Warn("member has an unusable conn_url", "member", name, "conn_url", url, "error", err)
		return nil
	}
	return &pg.Upstream{Name: name, Conn: conn}
}

// remoteUpstream is the standby cluster's remote primary; the daemon provides it.
func (r *Runner) remoteUpstream() *pg.Upstream {
	if rs, ok := r.d.Config.(interface{ RemoteUpstream() *pg.Upstream }); ok {
		return rs.RemoteUpstream()
	}
	return nil
}

// start starts PostgreSQL and fires cb (on_start, on_restart) once it accepts connections.
func (r *Runner) start(ctx context.Context, so pg.StartOptions, cb string) bool {
	r.setState("starting")
	if err := r.d.PG.Start(ctx, so); err != nil && !errors.Is(err, pg.ErrAlreadyRunning) {
		if errors.Is(err, pg.ErrStartTimeout) {
			r.log.Warn("PostgreSQL is still starting", "error", err)
			return false
		}
		r.log.Error("failed to start PostgreSQL", "error", err)
		r.setState("start failed")
		return false
	}
	r.setState("running")
	if cb != "" {
		r.fireCallback(cb, r.getRole())
	}
	return true
}

func (r *Runner) bootstrap(ctx context.Context, v *cluster.View, s Settings, standbyLeader bool) bool {
	if standbyLeader {
		ok := r.clone(ctx, v, s, RemoteMember, false)
		if ok {
			r.setRole(cluster.RoleStandbyLeader)
			r.setResponse(ResponseTrue)
		} else {
			r.setResponse(ResponseFalse)
		}
		return ok
	}
	r.setState("initializing new cluster")
	if err := r.d.PG.Bootstrap(ctx); err != nil {
		r.log.Error("bootstrap failed", "error", err)
		r.setState("initdb failed")
		return false
	}
	r.mu.Lock()
	r.sysid = ""
	r.mu.Unlock()
	r.setState("running")
	return true
}

// clone creates a replica from a member (or, with from "", a method that needs no
// leader) and starts it following whomever the view says.
func (r *Runner) clone(ctx context.Context, v *cluster.View, s Settings, from string, fromLeader bool) bool {
	r.setState("creating replica")
	src := r.upstream(v, from, false)
	if err := r.d.PG.CreateReplica(ctx, src, fromLeader || (from != "" && v != nil && v.LeaderName() == from)); err != nil {
		r.log.Error("failed to bootstrap from "+describe(from), "error", err)
		r.setState("stopped")
		return false
	}
	r.log.Info("bootstrapped from " + describe(from))
	r.mu.Lock()
	r.sysid = ""
	r.mu.Unlock()
	target, remote := NodeToFollow(r.freshView(ctx, v), r.d.Name, &s)
	role := cluster.RoleReplica
	if remote && v != nil && v.HasLock(r.d.Name) {
		role = cluster.RoleStandbyLeader
	}
	return r.follow(ctx, v, s, target, remote, role, 0)
}

func describe(from string) string {
	if from == "" {
		return "(without leader)"
	}
	return "'" + from + "'"
}

// freshView re-reads the cluster, falling back to v when the DCS does not answer.
func (r *Runner) freshView(ctx context.Context, v *cluster.View) *cluster.View {
	if nv, err := r.load(ctx); err == nil {
		return nv
	}
	return v
}

// follow points PostgreSQL at target (restarting or starting it as needed) and fires
// the callback Patroni fires: on_role_change when the role changes, else on_start or
// on_restart.
func (r *Runner) follow(ctx context.Context, v *cluster.View, s Settings, target string, remote bool, role cluster.Role, timeout time.Duration) bool {
	up := r.upstream(v, target, remote)
	pgRole := pg.RoleReplica
	if role == cluster.RoleStandbyLeader {
		pgRole = pg.RoleStandbyLeader
	}
	r.mu.Lock()
	prev, fired := r.role, r.cbFired
	r.mu.Unlock()
	// Patroni's change_role: leaving a primary role, or switching between replica and
	// standby leader, is a role change; a plain (re)start of a replica is not.
	switching := (prev == cluster.RoleReplica && role == cluster.RoleStandbyLeader) ||
		(prev == cluster.RoleStandbyLeader && role == cluster.RoleReplica)
	changeRole := fired && (prev.IsPrimary() || prev == cluster.RoleDemoted || prev == cluster.RolePromoted || switching)
	wasRunning := r.d.PG.IsRunning()
	if wasRunning {
		r.setState("restarting")
	} else {
		r.setState("starting")
	}
	_, err := r.d.PG.Follow(ctx, pgRole, up, pg.StartOptions{Timeout: timeout})
	r.setRole(role)
	r.rememberFollow(v, target, up)
	if err != nil {
		r.log.Error("failed to start following "+describe(target), "error", err)
		if errors.Is(err, pg.ErrStartTimeout) {
			return false
		}
		r.setState("start failed")
		return false
	}
	r.setState("running")
	switch {
	case changeRole:
		r.fireCallback("on_role_change", role)
	case wasRunning:
		r.fireCallback("on_restart", role)
	default:
		r.fireCallback("on_start", role)
	}
	return true
}

func (r *Runner) rememberFollow(v *cluster.View, target string, up *pg.Upstream) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.following, r.followURL = target, memberConnURL(v, target)
	if up == nil {
		r.following, r.followURL = "", ""
	}
}

// followReload re-points a running replica whose new upstream only needs a reload.
func (r *Runner) followReload(ctx context.Context, v *cluster.View, a Follow) {
	up := r.upstream(v, a.Target, a.Remote)
	pgRole := pg.RoleReplica
	if a.Role == cluster.RoleStandbyLeader {
		pgRole = pg.RoleStandbyLeader
	}
	if !r.d.PG.IsRunning() {
		r.follow(ctx, v, r.currentSettings(), a.Target, a.Remote, a.Role, a.Timeout)
		return
	}
	prev := r.getRole()
	if _, err := r.d.PG.Follow(ctx, pgRole, up, pg.StartOptions{}); err != nil {
		r.log.Error("failed to change primary_conninfo", "error", err)
		return
	}
	r.setRole(a.Role)
	r.rememberFollow(v, a.Target, up)
	if prev != a.Role {
		r.fireCallback("on_role_change", a.Role)
	} else {
		r.fireCallback("on_reload", a.Role)
	}
}

// promote runs pre_promote, promotes and fires on_role_change (ha-loop.md §10.6).
func (r *Runner) promote(ctx context.Context, s Settings) bool {
	if err := r.d.PG.RunPrePromote(ctx); err != nil {
		r.log.Error("pre_promote script failed", "error", err)
		r.setResponse(ResponseFalse)
		return false
	}
	r.mu.Lock()
	r.prePromote = true
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.prePromote = false
		r.mu.Unlock()
	}()
	if ctx.Err() != nil {
		return false
	}
	wait := s.LoopWait
	if wait < 10*time.Second {
		wait = 10 * time.Second
	}
	r.mu.Lock()
	leader := r.isLeaderLocked()
	r.mu.Unlock()
	if !leader {
		// The lock expired while pre_promote ran: promoting now could make two primaries.
		r.log.Warn("lost leader before promote")
		return false
	}
	if err := r.d.PG.Promote(ctx, wait); err != nil {
		r.log.Error("promotion failed", "error", err)
		r.setResponse(ResponseFalse)
		return false
	}
	r.mu.Lock()
	r.role, r.checkpoint = cluster.RolePromoted, false
	r.following, r.followURL = "", ""
	v := r.view
	r.mu.Unlock()
	// Create the members' slots now, not a cycle later: replicas reconnect within
	// seconds and a missing slot keeps them from streaming meanwhile.
	r.refreshObservation(ctx)
	r.syncSlots(ctx, v, &s)
	r.fireCallback("on_role_change", cluster.RolePrimary)
	r.setRole(cluster.RolePrimary)
	r.setResponse(ResponseTrue)
	r.ensureCheckpoint()
	return true
}

// rewind runs pg_rewind from the leader; the next cycle starts PostgreSQL again.
func (r *Runner) rewind(ctx context.Context, v *cluster.View, from string) bool {
	up := r.upstream(v, from, from == RemoteMember)
	if up == nil {
		r.log.Error("cannot rewind: no connection to " + from)
		return false
	}
	checkpointed := false
	if m := memberOf(v, from); m != nil && m.CheckpointAfterPromote == nil {
		checkpointed = true
	}
	r.setState("stopped")
	if err := r.d.PG.Rewind(ctx, up, pg.RewindOptions{LeaderCheckpointed: checkpointed}); err != nil {
		r.log.Error("pg_rewind failed", "error", err)
		return false
	}
	r.mu.Lock()
	r.following, r.followURL = "", ""
	r.mu.Unlock()
	return true
}

func memberOf(v *cluster.View, name string) *cluster.Member {
	if v == nil {
		return nil
	}
	return v.Member(name)
}

// reinitialize wipes the data directory and clones it again.
func (r *Runner) reinitialize(ctx context.Context, v *cluster.View, s Settings, from string) bool {
	if from == "" {
		from = v.LeaderName()
	}
	r.stopPostgres(ctx, pg.StopImmediate, s)
	if err := r.d.PG.RemoveDataDirectory(); err != nil {
		r.log.Error("failed to remove the data directory", "error", err)
		return false
	}
	r.mu.Lock()
	r.following, r.followURL, r.sysid = "", "", ""
	r.role = cluster.RoleUninitialized
	r.mu.Unlock()
	return r.clone(ctx, v, s, from, from == v.LeaderName())
}

// restartPG restarts PostgreSQL in its current role (POST /restart, scheduled restart).
func (r *Runner) restartPG(ctx context.Context, v *cluster.View, s Settings, timeout time.Duration) bool {
	role := r.getRole()
	so := pg.StartOptions{Role: pg.RolePrimary, Timeout: timeout}
	if !role.IsPrimary() {
		so.Role = pg.RoleReplica
		if role == cluster.RoleStandbyLeader {
			so.Role = pg.RoleStandbyLeader
		}
		r.mu.Lock()
		following := r.following
		r.mu.Unlock()
		so.Upstream = r.upstream(v, following, following == RemoteMember)
	}
	r.setState("restarting")
	if err := r.d.PG.Restart(ctx, pg.StopOptions{Mode: pg.StopFast, Timeout: stopTimeout(s)}, so); err != nil {
		r.log.Error("restart failed", "error", err)
		r.setState("restart failed (" + r.stateNow() + ")")
		return false
	}
	r.setState("running")
	r.fireCallback("on_restart", role)
	return true
}

func (r *Runner) stateNow() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}
