package ha

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/pg"
)

// runActions carries out a phase's actions in order. It returns ErrExit when a
// decision ends the process.
func (r *Runner) runActions(ctx context.Context, actions []Action, in *Input) error {
	for _, a := range actions {
		r.log.Debug("action", "action", a.String())
		if err := r.runAction(ctx, a, in); err != nil {
			return err
		}
	}
	return nil
}

func (r *Runner) runAction(ctx context.Context, a Action, in *Input) error {
	dctx, cancel := r.opCtx(ctx)
	defer cancel()
	switch a := a.(type) {
	case TouchMember:
		r.touchMember(ctx)
	case WriteInitialize:
		r.logDCS("initialize", func() error { _, err := r.d.Store.Initialize(dctx, a.CreateNew, a.Sysid); return err })
	case CancelInitialization:
		r.logDCS("cancel initialization", func() error { return r.d.Store.CancelInitialization(dctx) })
	case WriteConfig:
		r.logDCS("config", func() error { _, err := r.d.Store.SetConfig(dctx, r.d.Config.DynamicJSON(), -1); return err })
	case SetFailover:
		r.logDCS("failover", func() error { _, err := r.d.Store.SetFailover(dctx, a.Failover, a.Version); return err })
	case DeleteLock:
		r.deleteLock(dctx, in.View, a.LastLSN)
	case UpdateHistory:
		r.updateHistory(dctx, in.View)
	case RunAsync:
		r.startTask(a.Name, func(tctx context.Context) bool { return r.runTask(tctx, a.Task, in.View, in.Settings) })
	case Follow:
		if a.Reload {
			r.followReload(ctx, in.View, a)
		} else {
			r.runTask(ctx, a, in.View, in.Settings)
		}
	case Demote:
		r.demote(ctx, in.View, in.Settings, a.Mode, false)
	case CancelAsync:
		r.cancelTask(30 * time.Second)
		if a.TerminateStarting && r.d.PG.IsRunning() && !r.d.PG.IsReady() {
			_ = r.d.PG.Stop(ctx, pg.StopOptions{Mode: pg.StopImmediate})
		}
	case ResetResponse:
		r.setResponse(ResponseNone)
	case StopPostgres:
		r.stopPostgres(ctx, pg.StopMode(a.Mode), in.Settings)
	case MoveDataDir:
		if err := r.d.PG.MoveDataDirectory(); err != nil {
			r.log.Error("could not move the data directory aside", "error", err)
		}
	case SetSyncStandbyNames:
		r.setSyncStandbyNames(ctx, a.Names, a.Num, in.Settings.quorumMode())
	case RestoreUserSyncStandbyNames:
		r.applySyncStandbyNames(ctx, nil)
	case GenerateWAL:
		if err := r.d.PG.Exec(ctx, "SELECT pg_catalog.txid_current()"); err != nil {
			r.log.Warn("could not generate WAL", "error", err)
		}
	case EnsureCheckpointAfterPromote:
		r.ensureCheckpoint()
	case FireCallback:
		r.fireCallback(a.Callback, a.Role)
	case SetRole:
		r.setRole(a.Role)
	case SetState:
		r.setState(a.State)
	case DisableWatchdog:
		r.disableWatchdog()
	case KeepaliveWatchdog:
		if r.d.Watchdog != nil {
			_ = r.d.Watchdog.Keepalive() // it logs its own failures
		}
	case SanityChecksAfterPause:
		r.mu.Lock()
		r.sysid = ""
		r.mu.Unlock()
	case ResumeReplay:
		if err := r.d.PG.Exec(ctx, "SELECT pg_catalog.pg_wal_replay_resume()"); err != nil {
			r.log.Warn("could not resume WAL replay", "error", err)
		}
	case DeleteScheduledRestart:
		r.mu.Lock()
		r.restart = nil
		r.mu.Unlock()
	case Sleep:
		select {
		case <-time.After(a.For):
		case <-ctx.Done():
		}
	case Exit:
		r.log.Log(ctx, slog.LevelError+4, a.Reason) // Patroni's CRITICAL
		r.mu.Lock()
		r.exitCode, r.exitReason = a.Code, a.Reason
		r.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrExit, a.Reason)
	case Bootstrap, PostBootstrap, Clone, StartPrimary, Promote, Rewind, Reinitialize, CrashRecovery, Restart, CopyLogicalSlots:
		r.runTask(ctx, a, in.View, in.Settings)
	default:
		r.log.Error("unknown action", "action", a.String())
	}
	return nil
}

func (r *Runner) disableWatchdog() {
	if r.d.Watchdog != nil {
		r.d.Watchdog.Disable()
	}
}

// logDCS runs a DCS write whose failure does not change the cycle.
func (r *Runner) logDCS(what string, f func() error) {
	if err := f(); err != nil {
		r.log.Warn("DCS write failed", "key", what, "error", err)
	}
}

// deleteLock releases our leader key voluntarily, recording our last WAL position.
func (r *Runner) deleteLock(ctx context.Context, v *cluster.View, lastLSN int64) {
	if lastLSN > 0 {
		r.logDCS("status", func() error { return r.d.Store.WriteStatus(ctx, cluster.Status{Optime: lastLSN}) })
	}
	var leader *cluster.Leader
	if v != nil {
		leader = v.Leader
	}
	if leader == nil {
		leader = &cluster.Leader{Name: r.d.Name}
	}
	r.lockOps.Lock()
	err := r.d.Store.DeleteLeader(ctx, leader)
	if err == nil {
		r.mu.Lock()
		r.memory.LockRenewedAt = time.Time{}
		r.leaderUntil = time.Time{}
		r.released++
		r.mu.Unlock()
	}
	r.lockOps.Unlock()
	if err != nil {
		r.log.Warn("failed to delete the leader key", "error", err)
		return
	}
	r.touchMember(ctx)
	r.log.Info("Leader key released")
}

// fireCallback runs a user callback; promoted reports as primary, as Patroni 4.1 does.
func (r *Runner) fireCallback(cb string, role cluster.Role) {
	if role == cluster.RolePromoted {
		role = cluster.RolePrimary
	}
	r.mu.Lock()
	r.cbFired = true
	r.mu.Unlock()
	if r.d.Callbacks != nil {
		r.d.Callbacks.Fire(cb, string(role))
	}
}

// stopPostgres stops PostgreSQL and tracks the state strings Patroni reports.
func (r *Runner) stopPostgres(ctx context.Context, mode pg.StopMode, s Settings) bool {
	if !r.d.PG.IsRunning() {
		r.setState("stopped")
		return true
	}
	r.setState("stopping")
	err := r.d.PG.Stop(ctx, pg.StopOptions{Mode: mode, Timeout: stopTimeout(s)})
	if err != nil {
		r.log.Error("failed to stop PostgreSQL", "error", err)
		r.setState("stop failed")
		return false
	}
	r.setState("stopped")
	r.fireCallback("on_stop", r.getRole())
	return true
}

// stopTimeout is primary_stop_timeout in synchronous mode, else pg_ctl_timeout's default.
func stopTimeout(s Settings) time.Duration {
	if s.syncEnabled() && s.PrimaryStopTimeout > 0 {
		return s.PrimaryStopTimeout
	}
	return 0
}

// setSyncStandbyNames renders synchronous_standby_names and reloads PostgreSQL.
func (r *Runner) setSyncStandbyNames(ctx context.Context, names []string, num int, quorum bool) {
	v := pg.SyncStandbyNames(names, num, quorum)
	if r.applySyncStandbyNames(ctx, &v) {
		r.log.Info("Assigning synchronous standby status", "synchronous_standby_names", v)
	}
}

// applySyncStandbyNames overrides synchronous_standby_names (nil: the user's value) and
// reloads PostgreSQL, only when the override changes: Decide asks every cycle.
func (r *Runner) applySyncStandbyNames(ctx context.Context, v *string) bool {
	r.mu.Lock()
	same := (v == nil && r.ssn == nil) || (v != nil && r.ssn != nil && *v == *r.ssn)
	if !same {
		r.ssn = v
	}
	r.mu.Unlock()
	if same {
		return false
	}
	r.d.PG.SetSynchronousStandbyNames(v)
	r.rewritePGConfig(ctx)
	return true
}

// ensureCheckpoint runs the post-promote CHECKPOINT in the background once.
func (r *Runner) ensureCheckpoint() {
	r.mu.Lock()
	if r.checkpoint {
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if err := r.d.PG.Checkpoint(ctx); err != nil {
			r.log.Warn("post-promote checkpoint failed", "error", err)
			return
		}
		r.mu.Lock()
		r.checkpoint = true
		r.mu.Unlock()
		r.Wake()
	}()
}
