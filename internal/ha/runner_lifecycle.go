package ha

import (
	"context"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/pg"
)

// startup adopts a postmaster that is already running (Patroni restarted under a live
// PostgreSQL) and sets the initial role from the data directory.
func (r *Runner) startup(ctx context.Context) {
	srv := r.d.PG
	if pid, err := srv.Adopt(); err == nil && pid > 0 {
		r.log.Info("adopted the running postmaster", "pid", pid)
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		st, err := srv.Observe(qctx)
		cancel()
		role, state := cluster.RoleReplica, "starting"
		if err == nil {
			state = "running"
			if !st.InRecovery {
				role = cluster.RolePrimary
			}
		}
		r.mu.Lock()
		r.role, r.state, r.stateSince = role, state, time.Now()
		r.mu.Unlock()
		return
	}
	role := cluster.RoleUninitialized
	if !srv.DataDirEmpty() {
		role = cluster.RoleDemoted
		if srv.RecoveryConfExists() {
			role = cluster.RoleReplica
		}
	}
	r.setRole(role)
	r.publish()
}

// shutdown is Patroni's exit on SIGTERM (ha-loop.md §16): stop PostgreSQL and release
// the lock so a replica takes over at once, unless the cluster is paused.
func (r *Runner) shutdown() error {
	r.cancelTask(time.Minute)
	s := r.currentSettings()
	if s.Paused {
		r.disableWatchdog()
		r.log.Info("Leader key is not deleted and Postgresql is not stopped due paused state")
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r.mu.Lock()
	v := r.view
	holds := v != nil && v.HasLock(r.d.Name)
	r.mu.Unlock()
	if !r.stopPostgres(ctx, pg.StopFast, s) {
		if holds {
			r.log.Error("PostgreSQL shutdown failed, leader key not removed. Leaving watchdog running.")
		}
		return nil
	}
	r.disableWatchdog()
	if holds {
		dctx, dcancel := r.opCtx(ctx)
		r.deleteLock(dctx, v, r.checkpointLSN(ctx))
		dcancel()
	} else {
		r.touchMember(ctx)
	}
	r.publish()
	return nil
}

// reloadLocal re-reads the local configuration (SIGHUP, POST /reload).
func (r *Runner) reloadLocal(ctx context.Context) {
	pgChanged, err := r.d.Config.ReloadLocal()
	if err != nil {
		r.log.Error("failed to reload the configuration", "error", err)
		return
	}
	if pgChanged {
		r.rewritePGConfig(ctx)
	}
}
