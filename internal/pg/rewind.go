package pg

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// ErrSystemIDMismatch: the other server belongs to a different cluster.
var ErrSystemIDMismatch = errors.New("system identifier mismatch")

// CanRewind reports whether pg_rewind is enabled and usable here.
func (s *Server) CanRewind(ctx context.Context) bool {
	if !s.opts.UsePgRewind {
		return false
	}
	if _, err := s.runOutput(ctx, nil, BinPgRewind, "--help"); err != nil {
		return false
	}
	cd, err := s.Controldata(ctx)
	return err == nil && cd.AllowsRewind()
}

// LocalPosition is where the local server's history ends.
type LocalPosition struct {
	InRecovery bool
	Timeline   uint32
	LSN        LSN
}

// LocalTimelineLSN finds the local (TLI, LSN): from a running server via
// IDENTIFY_SYSTEM and the replay LSN, else from pg_controldata.
func (s *Server) LocalTimelineLSN(ctx context.Context) (LocalPosition, error) {
	if s.IsReady() {
		st, err := s.Observe(ctx)
		if err == nil && !st.InRecovery {
			return LocalPosition{Timeline: st.Timeline, LSN: st.WALPosition}, nil
		}
		if err == nil {
			si, err := IdentifySystem(ctx, s.LocalReplicationParams())
			if err == nil {
				return LocalPosition{InRecovery: true, Timeline: si.Timeline, LSN: st.ReplayedLSN}, nil
			}
		}
	}
	cd, err := s.Controldata(ctx)
	if err != nil {
		return LocalPosition{}, err
	}
	return positionFromControldata(cd)
}

func positionFromControldata(cd ControlData) (LocalPosition, error) {
	state := cd.State
	if state == StateShutDownInRecovery || state == StateInArchiveRecovery {
		if cd.MinRecoveryEnd != 0 && cd.MinRecoveryEndTLI != 0 {
			return LocalPosition{InRecovery: true, Timeline: cd.MinRecoveryEndTLI, LSN: cd.MinRecoveryEnd}, nil
		}
		state = StateShutDown // it was a primary when it stopped
	}
	if state == StateShutDown {
		return LocalPosition{Timeline: cd.CheckpointTimeline, LSN: cd.CheckpointLocation}, nil
	}
	return LocalPosition{}, fmt.Errorf("cannot tell local timeline: cluster state is %q", cd.State)
}

// leaderParams are the params to reach the leader as the rewind user.
func (s *Server) leaderParams(leader *Upstream, u User) ConnParams {
	p := leader.Conn.WithUser(u)
	if p["dbname"] == "" {
		p["dbname"] = s.opts.database()
	}
	return p.With("target_session_attrs", "read-write")
}

// LeaderIsPrimary checks with SELECT pg_is_in_recovery() that the leader
// can serve as a rewind source.
func (s *Server) LeaderIsPrimary(ctx context.Context, leader *Upstream) error {
	u := s.opts.rewindUser(s.major)
	if !s.opts.UsePgRewind && s.opts.RemoveDataDirectoryOnDivergedTimelines && s.major < 11 {
		u = s.opts.Replication
	}
	conn, err := Connect(ctx, s.leaderParams(leader, u))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var inRecovery bool
	if err := conn.QueryRow(ctx, "SELECT pg_catalog.pg_is_in_recovery()").Scan(&inRecovery); err != nil {
		return err
	}
	if inRecovery {
		return errors.New("leader is still in recovery and therefore can't be used for rewind")
	}
	return nil
}

// CheckDivergence decides whether the local data directory has diverged
// from the leader's timeline (ha-loop.md §10.1). A leader of another
// cluster gives ErrSystemIDMismatch.
func (s *Server) CheckDivergence(ctx context.Context, leader *Upstream) (bool, error) {
	if leader == nil || len(leader.Conn) == 0 {
		return false, errors.New("no leader to compare with")
	}
	if err := s.LeaderIsPrimary(ctx, leader); err != nil {
		return false, err
	}
	replParams := leader.Conn.WithUser(s.opts.Replication)
	si, err := IdentifySystem(ctx, replParams)
	if err != nil {
		return false, fmt.Errorf("IDENTIFY_SYSTEM on leader: %w", err)
	}
	if err := s.checkSameSystem(ctx, si.SystemID); err != nil {
		return false, err
	}
	local, err := s.LocalTimelineLSN(ctx)
	if err != nil {
		return false, err
	}
	in := DivergenceInput{LocalInRecovery: local.InRecovery, LocalTimeline: local.Timeline,
		LocalLSN: local.LSN, LeaderTimeline: si.Timeline}
	if local.Timeline < si.Timeline && si.Timeline > 1 {
		if in.History, err = TimelineHistory(ctx, replParams, si.Timeline); err != nil {
			return false, fmt.Errorf("TIMELINE_HISTORY on leader: %w", err)
		}
		if !local.InRecovery {
			in.CheckpointEnd = s.checkpointEnd(ctx, local.Timeline, local.LSN)
		}
	}
	need := NeedsRewind(in)
	s.log.Info("timeline divergence check", "local_timeline", local.Timeline, "local_lsn", local.LSN.String(),
		"leader_timeline", si.Timeline, "need_rewind", need)
	return need, nil
}

func (s *Server) checkSameSystem(ctx context.Context, other string) error {
	mine, err := s.SystemID(ctx)
	if err != nil {
		return err
	}
	if mine != other {
		return fmt.Errorf("%w: local %s, leader %s", ErrSystemIDMismatch, mine, other)
	}
	return nil
}

var waldumpErrRe = regexp.MustCompile(`error in WAL record at ([0-9A-Fa-f]+/[0-9A-Fa-f]+): invalid record length at ([0-9A-Fa-f]+/[0-9A-Fa-f]+)`)

// checkpointEnd reads the end of the checkpoint record at lsn with
// pg_waldump (it fails on the record after it, naming its position).
func (s *Server) checkpointEnd(ctx context.Context, tli uint32, lsn LSN) LSN {
	cmd, err := s.command(ctx, BinPgWaldump, "-t", fmt.Sprint(tli), "-s", lsn.String(), "-n", "2",
		"-p", filepath.Join(s.opts.DataDir, "pg_wal"))
	if err != nil {
		return 0
	}
	cmd.Env = append(cmd.Env, "LANG=C", "LC_ALL=C")
	var out, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &stderr
	_ = cmd.Run()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	errs := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 1 || len(errs) != 1 || !strings.Contains(lines[0], ", lsn: "+lsn.Padded()+", prev ") {
		s.log.Error("Failed to parse pg_waldump output", "stdout", out.String(), "stderr", stderr.String())
		return 0
	}
	m := waldumpErrRe.FindStringSubmatch(errs[0])
	if m == nil {
		return 0
	}
	at, _ := ParseLSN(m[1])
	end, _ := ParseLSN(m[2])
	if at != lsn {
		return 0
	}
	return end
}
