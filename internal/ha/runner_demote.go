package ha

import (
	"context"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/pg"
)

// demote steps a primary down (ha-loop.md §10.9): stop, role demoted, release the lock
// where the mode says so, then follow the new leader (none when the DCS is gone).
// inTask reports that we already run in the background slot.
func (r *Runner) demote(ctx context.Context, v *cluster.View, s Settings, mode DemoteMode, inTask bool) {
	stop := pg.StopOptions{Mode: pg.StopFast, Timeout: stopTimeout(s)}
	switch mode {
	case DemoteGraceful:
		stop.Checkpoint = true
	case DemoteImmediate, DemoteImmediateNoLock:
		stop.Mode = pg.StopImmediate
	}
	r.log.Info("Demoting self (" + string(mode) + ")")
	r.setState("stopping")
	if err := r.d.PG.Stop(ctx, stop); err != nil {
		r.log.Error("failed to stop PostgreSQL while demoting", "error", err)
		r.setState("stop failed")
		return
	}
	r.setState("stopped")
	r.disableWatchdog() // no user backend is left: the watchdog has nothing to protect
	r.mu.Lock()
	r.role = cluster.RoleDemoted
	r.memory.LockRenewedAt = time.Time{}
	r.leaderUntil = time.Time{}
	r.following, r.followURL = "", ""
	r.mu.Unlock()
	if s.syncEnabled() {
		empty := ""
		r.d.PG.SetSynchronousStandbyNames(&empty)
	}
	if mode == DemoteGraceful || mode == DemoteImmediate {
		dctx, cancel := r.opCtx(ctx)
		r.deleteLock(dctx, v, r.checkpointLSN(ctx))
		cancel()
	}
	if mode == DemoteOffline {
		// The DCS is unreachable: run as a replica of nobody until it is back.
		r.follow(ctx, v, s, "", false, cluster.RoleReplica, 0)
		return
	}
	if mode == DemoteGraceful {
		select {
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
			return
		}
	}
	fresh := r.freshView(ctx, v)
	target, remote := NodeToFollow(fresh, r.d.Name, &s)
	if target != "" && r.needsRewind(ctx, fresh, target, remote, s) {
		// The next cycle runs pg_rewind (or reinitializes) before starting.
		return
	}
	if mode == DemoteImmediate || mode == DemoteImmediateNoLock {
		if !inTask {
			r.startTask("starting after demotion", func(tctx context.Context) bool {
				return r.follow(tctx, fresh, s, target, remote, cluster.RoleReplica, 0)
			})
			return
		}
	}
	r.follow(ctx, fresh, s, target, remote, cluster.RoleReplica, 0)
}

// needsRewind checks, when rewinding is possible at all, whether our stopped data
// directory diverged from target's timeline.
func (r *Runner) needsRewind(ctx context.Context, v *cluster.View, target string, remote bool, s Settings) bool {
	if !s.UsePgRewind && !s.RemoveDataDirectoryOnDivergedTimeline {
		return false
	}
	need, ok := r.checkDivergence(ctx, v, target, remote)
	return ok && need
}

// checkpointLSN is the latest checkpoint location of a stopped server (what a demoted
// primary reports in /status so replicas know how far they must be).
func (r *Runner) checkpointLSN(ctx context.Context) int64 {
	cd, err := r.d.PG.Controldata(ctx)
	if err != nil {
		return 0
	}
	return int64(cd.CheckpointLocation)
}
