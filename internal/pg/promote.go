package pg

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"
)

// ErrPrePromoteFailed: the pre_promote script vetoed the promotion.
var ErrPrePromoteFailed = errors.New("pre_promote script failed")

// RunPrePromote runs the pre_promote (fencing) script; non-zero exit →
// ErrPrePromoteFailed. No script → nil.
func (s *Server) RunPrePromote(ctx context.Context) error {
	if s.opts.PrePromote == "" {
		return nil
	}
	if code := s.runScript(ctx, "pre_promote", s.opts.PrePromote, nil, nil); code != 0 {
		return fmt.Errorf("%w: %s exited with code %d", ErrPrePromoteFailed, s.opts.PrePromote, code)
	}
	return nil
}

// Promote turns the running standby into a primary (pg_promote() on PG ≥
// 12, pg_ctl promote before) and waits up to wait for it to leave recovery.
// It does not run pre_promote: call RunPrePromote first.
func (s *Server) Promote(ctx context.Context, wait time.Duration) error {
	if !s.IsRunning() {
		return ErrNotRunning
	}
	if HasPgPromote(s.major) {
		var ok bool
		if err := s.QueryRow(ctx, "SELECT pg_catalog.pg_promote(false)", nil, &ok); err != nil {
			return fmt.Errorf("pg_promote: %w", err)
		}
	} else if _, err := s.runOutput(ctx, nil, BinPgCtl, "promote", "-W", "-D", s.opts.DataDir); err != nil {
		return err
	}
	if err := s.waitNotInRecovery(ctx, wait); err != nil {
		return err
	}
	// Standby settings are meaningless now; keep the file describing a primary.
	if err := s.WriteConfig(ctx, RolePrimary, nil); err != nil {
		return err
	}
	return s.Reload()
}

func (s *Server) waitNotInRecovery(ctx context.Context, wait time.Duration) error {
	if wait <= 0 {
		wait = s.opts.pgCtlTimeout()
	}
	deadline := time.Now().Add(wait)
	for {
		var inRecovery bool
		err := s.QueryRow(ctx, "SELECT pg_catalog.pg_is_in_recovery()", nil, &inRecovery)
		if err == nil && !inRecovery {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still in recovery %s after promote (last error: %v)", wait, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// DemoteOptions say how to turn a primary into a replica.
type DemoteOptions struct {
	Stop     StopOptions // Mode fast (graceful/offline) or immediate; Checkpoint for graceful
	Upstream *Upstream   // nil → standby without upstream (e.g. DCS unreachable)
	Role     Role        // RoleReplica (default) or RoleStandbyLeader
	NoStart  bool        // only stop and write the recovery configuration (rewind next)
	Start    StartOptions
}

// Demote stops the server, writes the standby configuration and starts it
// again as a replica of Upstream.
func (s *Server) Demote(ctx context.Context, d DemoteOptions) error {
	if d.Role == "" {
		d.Role = RoleReplica
	}
	if err := s.Stop(ctx, d.Stop); err != nil {
		return err
	}
	s.SetSynchronousStandbyNames(nil)
	if d.NoStart {
		return s.WriteConfig(ctx, d.Role, d.Upstream)
	}
	so := d.Start
	so.Role, so.Upstream = d.Role, d.Upstream
	return s.Start(ctx, so)
}

// RecoveryChange is the result of comparing desired and current recovery settings.
type RecoveryChange struct {
	Changed         bool
	NeedsRestart    bool
	ChangedSettings []string
}

// CompareRecovery compares what following up needs with the recovery
// configuration currently written (ha-loop.md §10.8).
func (s *Server) CompareRecovery(ctx context.Context, role Role, up *Upstream) (RecoveryChange, error) {
	sp, err := BuildServerParams(&s.opts, s.major)
	if err != nil {
		return RecoveryChange{}, err
	}
	want := BuildRecoveryParams(&s.opts, s.major, sp.RecoveryConf, up)
	s.mu.Lock()
	cur := s.recovery
	s.mu.Unlock()
	if cur == nil {
		if !s.RecoveryConfExists() {
			return RecoveryChange{Changed: true, NeedsRestart: true, ChangedSettings: []string{"standby_mode"}}, nil
		}
		cur = &RecoveryParams{Settings: map[string]string{}}
	}
	wr, cr := want.Rendered(""), cur.Rendered("")
	var rc RecoveryChange
	for _, k := range unionKeys(wr, cr) {
		if wr[k] != cr[k] {
			rc.Changed = true
			rc.ChangedSettings = append(rc.ChangedSettings, k)
			rc.NeedsRestart = rc.NeedsRestart || RecoveryParamNeedsRestart(s.major, k)
		}
	}
	return rc, nil
}

func unionKeys(a, b map[string]string) []string {
	m := maps.Clone(a)
	for k, v := range b {
		m[k] = v
	}
	return sortedKeys(m)
}

// Follow points a running replica at up: rewrite + reload when enough,
// restart when a changed setting needs it. A stopped server is started.
// It returns whether anything changed.
func (s *Server) Follow(ctx context.Context, role Role, up *Upstream, start StartOptions) (bool, error) {
	if role == "" {
		role = RoleReplica
	}
	start.Role, start.Upstream = role, up
	if !s.IsRunning() {
		return true, s.Start(ctx, start)
	}
	rc, err := s.CompareRecovery(ctx, role, up)
	if err != nil || !rc.Changed {
		return false, err
	}
	if rc.NeedsRestart {
		return true, s.Restart(ctx, StopOptions{Mode: StopFast}, start)
	}
	if err := s.WriteConfig(ctx, role, up); err != nil {
		return true, err
	}
	return true, s.Reload()
}

// SetSynchronousStandbyNames overrides synchronous_standby_names (nil →
// the user's value; "" → removed). Apply with WriteConfig + Reload.
func (s *Server) SetSynchronousStandbyNames(v *string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v == nil {
		s.syncNames = nil
		return
	}
	c := *v
	s.syncNames = &c
}

// SetHotStandbyFeedback forces hot_standby_feedback=on (permanent logical
// slots on replicas). Apply with WriteConfig + Reload.
func (s *Server) SetHotStandbyFeedback(on bool) {
	s.mu.Lock()
	s.hsFeedOn = on
	s.mu.Unlock()
}
