package pg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrRewindFailed: pg_rewind failed against a healthy leader. When a
// remove_data_directory_on_* option is set the data directory is gone too.
var ErrRewindFailed = errors.New("pg_rewind failed")

var rewindForbidden = []string{"target-pgdata", "source-pgdata", "source-server", "write-recovery-conf",
	"dry-run", "restore-target-wal", "config-file", "no-ensure-shutdown", "version", "help"}

// RewindArgs builds pg_rewind's arguments.
func RewindArgs(o *Options, major int, restoreCommand string, confFile, dsn string) ([]string, error) {
	user, err := UserOptions("rewind", o.RewindOptions, rewindForbidden)
	if err != nil {
		return nil, err
	}
	inData := filepath.Clean(o.configDir()) == filepath.Clean(o.DataDir)
	args := RewindFlags(major, restoreCommand != "", inData, confFile)
	args = append(args, "-D", o.DataDir, "--source-server", dsn)
	return append(args, user...), nil
}

// RewindOptions tune Rewind.
type RewindOptions struct {
	// LeaderCheckpointed: the leader published checkpoint_after_promote, so
	// no CHECKPOINT / pg_control_checkpoint() check is needed.
	LeaderCheckpointed bool
}

// Rewind stops the server (no checkpoint), makes sure it was shut down
// cleanly (single-user crash recovery otherwise), and runs pg_rewind from
// the leader. On failure, with remove_data_directory_on_rewind_failure or
// _on_diverged_timelines set, the data directory is removed. A leader of
// another cluster is refused without touching anything.
func (s *Server) Rewind(ctx context.Context, leader *Upstream, ro RewindOptions) error {
	if leader == nil || len(leader.Conn) == 0 {
		return errors.New("no leader to rewind from")
	}
	if err := s.Stop(ctx, StopOptions{Mode: StopFast}); err != nil {
		return fmt.Errorf("cannot run pg_rewind: %w", err)
	}
	si, err := IdentifySystem(ctx, leader.Conn.WithUser(s.opts.Replication))
	if err != nil {
		return fmt.Errorf("leader unreachable: %w", err)
	}
	if err := s.checkSameSystem(ctx, si.SystemID); err != nil {
		return err
	}
	if err := s.EnsureCleanShutdown(ctx); err != nil {
		return err
	}
	s.ArchiveReadyWAL(ctx)
	src := s.leaderParams(leader, s.opts.rewindUser(s.major))
	if !ro.LeaderCheckpointed {
		if err := s.ensureLeaderCheckpoint(ctx, leader, src); err != nil {
			return err
		}
	}
	if err := s.runPgRewind(ctx, src); err != nil {
		if s.LeaderIsPrimary(ctx, leader) != nil {
			return fmt.Errorf("rewind failed because the leader became unreachable: %w", err)
		}
		if s.opts.RemoveDataDirectoryOnRewindFailure || s.opts.RemoveDataDirectoryOnDivergedTimelines {
			s.log.Warn("removing data directory after failed rewind")
			if rmErr := s.RemoveDataDirectory(); rmErr != nil {
				return errors.Join(fmt.Errorf("%w: %v", ErrRewindFailed, err), rmErr)
			}
		}
		return fmt.Errorf("%w: %v", ErrRewindFailed, err)
	}
	s.nudgeSource(ctx, src)
	return nil
}

// nudgeSource makes the rewind source write one WAL record. pg_rewind sets our
// minRecoveryPoint to the source's insert position; on an idle source right after a
// WAL segment switch no record starts there yet, so the rewound server could not reach
// a consistent state (and refused connections) until the source wrote something — up
// to the next standby snapshot, 15 s or more. Failures only cost that wait.
func (s *Server) nudgeSource(ctx context.Context, src ConnParams) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := Connect(ctx, src)
	if err != nil {
		s.log.Debug("cannot nudge the rewind source", "error", err)
		return
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(ctx)
	if err != nil {
		return
	}
	defer tx.Rollback(context.Background())
	// local: the commit must not wait for a synchronous standby (maybe us).
	if _, err = tx.Exec(ctx, "SET LOCAL synchronous_commit TO 'local'"); err == nil {
		_, err = tx.Exec(ctx, "SELECT pg_catalog.txid_current()")
	}
	if err == nil {
		err = tx.Commit(ctx)
	}
	if err != nil {
		s.log.Debug("cannot nudge the rewind source", "error", err)
	}
}

// ensureLeaderCheckpoint makes sure pg_control on the leader has its new
// timeline: CHECKPOINT as superuser, or a check with the rewind user.
func (s *Server) ensureLeaderCheckpoint(ctx context.Context, leader *Upstream, src ConnParams) error {
	if s.opts.rewindUser(s.major).Username == s.opts.Superuser.Username {
		conn, err := Connect(ctx, s.leaderParams(leader, s.opts.Superuser))
		if err != nil {
			return fmt.Errorf("can not use %s for rewind: %w", leader.Name, err)
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(ctx, "CHECKPOINT")
		return err
	}
	conn, err := Connect(ctx, src)
	if err != nil {
		return fmt.Errorf("can not use %s for rewind: %w", leader.Name, err)
	}
	defer conn.Close(context.Background())
	var ok bool
	err = conn.QueryRow(ctx, "SELECT NOT pg_catalog.pg_is_in_recovery() AND ('x' || pg_catalog.substr("+
		"pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()), 1, 8))::bit(32)::int = timeline_id "+
		"FROM pg_catalog.pg_control_checkpoint()").Scan(&ok)
	if err == nil && !ok {
		err = errors.New("leader has not run a checkpoint yet")
	}
	return err
}

func (s *Server) runPgRewind(ctx context.Context, src ConnParams) error {
	env, err := s.pgpassEnv(src)
	if err != nil {
		return err
	}
	env = append(env, "LANG=C", "LC_ALL=C", "PGOPTIONS=-c statement_timeout=0")
	restore := s.restoreCommand()
	args, err := RewindArgs(&s.opts, s.major, restore, s.ConfigFile(), FormatDSN(src.Without("password"), s.major))
	if err != nil {
		return err
	}
	s.log.Info("running pg_rewind", "source", FormatDSN(src.Without("password"), s.major))
	out, err := s.runOutput(ctx, env, BinPgRewind, args...)
	s.log.Info("pg_rewind finished", "output", strings.TrimSpace(out), "error", err)
	return err
}

func (s *Server) restoreCommand() string {
	if v, ok := s.opts.Parameters["restore_command"]; ok {
		return v
	}
	return s.opts.RecoveryConf["restore_command"]
}

// EnsureCleanShutdown runs crash recovery in single-user mode when
// pg_control says the cluster was not shut down cleanly.
func (s *Server) EnsureCleanShutdown(ctx context.Context) error {
	cd, err := s.Controldata(ctx)
	if err != nil {
		return err
	}
	switch cd.State {
	case StateShutDown, StateShutDownInRecovery:
		return nil
	}
	return s.CrashRecovery(ctx)
}

// CrashRecovery starts postgres in single-user mode with stdin closed so it
// replays WAL and shuts down cleanly (ha-loop.md §10.2): archive_status is
// emptied, the recovery configuration removed, archiving disabled.
func (s *Server) CrashRecovery(ctx context.Context) error {
	if s.IsRunning() {
		return ErrAlreadyRunning
	}
	s.ArchiveReadyWAL(ctx) // what is not archived now would never be: status is emptied below
	statusDir := s.dataPath(filepath.Join("pg_wal", "archive_status"))
	if entries, err := os.ReadDir(statusDir); err == nil {
		for _, e := range entries {
			_ = os.Remove(filepath.Join(statusDir, e.Name()))
		}
	}
	if err := s.RemoveRecoveryConf(); err != nil {
		return err
	}
	opts := s.postmasterOpts()
	opts["archive_mode"], opts["archive_command"] = "on", "false"
	args := []string{"--single", "-D", s.opts.DataDir}
	for _, k := range sortedKeys(opts) {
		args = append(args, "-c", k+"="+opts[k])
	}
	args = append(args, "template1")
	cmd, err := s.command(ctx, BinPostgres, args...)
	if err != nil {
		return err
	}
	cmd.Stdin = nil // /dev/null: single-user mode exits at EOF
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("crash recovery in single-user mode failed: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// postmasterOpts reads --name=value options from postmaster.opts.
func (s *Server) postmasterOpts() map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile(s.dataPath("postmaster.opts"))
	if err != nil {
		return out
	}
	for _, opt := range strings.Split(string(b), `" "`) {
		if strings.HasPrefix(opt, "--") && strings.Contains(opt, "=") {
			k, v, _ := strings.Cut(opt, "=")
			out[strings.Trim(k, "-")] = strings.TrimRight(v, "\"\n")
		}
	}
	return out
}
