package pg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// StopMode is how PostgreSQL shuts down.
type StopMode string

// Stop modes and the signals they send to the postmaster.
const (
	StopSmart     StopMode = "smart"     // SIGTERM: wait for sessions to end
	StopFast      StopMode = "fast"      // SIGINT: abort sessions, shutdown checkpoint
	StopImmediate StopMode = "immediate" // SIGQUIT: no checkpoint, crash recovery on start
)

func (m StopMode) signal() (syscall.Signal, error) {
	switch m {
	case StopSmart:
		return syscall.SIGTERM, nil
	case StopFast, "":
		return syscall.SIGINT, nil
	case StopImmediate:
		return syscall.SIGQUIT, nil
	}
	return 0, fmt.Errorf("unknown stop mode %q", m)
}

// StopOptions say how to stop the server.
type StopOptions struct {
	Mode    StopMode
	Timeout time.Duration // per phase; 0 → pg_ctl_timeout
	// NoEscalate keeps waiting in the given mode instead of switching to
	// immediate (and finally SIGKILL) after Timeout.
	NoEscalate bool
	// Checkpoint runs CHECKPOINT first (graceful demotion of a primary).
	Checkpoint bool
	// SkipBeforeStop does not run the before_stop script.
	SkipBeforeStop bool
	// OnEscalate, when set, is told about each escalation.
	OnEscalate func(from, to syscall.Signal)
}

// Stop runs before_stop, signals the postmaster and waits until it exits.
// After Timeout a smart/fast stop escalates to immediate, and an immediate
// one to SIGKILL. A server that is not running is not an error.
func (s *Server) Stop(ctx context.Context, so StopOptions) error {
	p := s.current()
	if p == nil {
		return nil
	}
	sig, err := so.Mode.signal()
	if err != nil {
		return err
	}
	if so.Checkpoint {
		if err := s.Checkpoint(ctx); err != nil {
			s.log.Warn("checkpoint before stop failed", "error", err)
		}
	}
	if !so.SkipBeforeStop && s.opts.BeforeStop != "" {
		s.runScript(ctx, "before_stop", s.opts.BeforeStop, nil, nil)
	}
	s.closeConn()
	timeout := so.Timeout
	if timeout <= 0 {
		timeout = s.opts.pgCtlTimeout()
	}
	s.log.Info("stopping postgres", "mode", so.Mode, "pid", p.pid)
	for {
		if err := p.signal(sig); err != nil {
			return fmt.Errorf("signalling postmaster %d: %w", p.pid, err)
		}
		if waitDone(ctx, p.done, timeout) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if so.NoEscalate {
			return fmt.Errorf("postgres (pid %d) did not stop within %s (%s mode)", p.pid, timeout, so.Mode)
		}
		if sig == syscall.SIGKILL {
			return fmt.Errorf("postgres (pid %d) survived SIGKILL", p.pid)
		}
		next := syscall.SIGQUIT
		if sig == syscall.SIGQUIT {
			next = syscall.SIGKILL
		}
		s.log.Warn("postgres did not stop in time, escalating", "pid", p.pid, "from", sig, "to", next)
		if so.OnEscalate != nil {
			so.OnEscalate(sig, next)
		}
		sig = next
	}
}

func waitDone(ctx context.Context, done <-chan struct{}, timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// Restart stops (fast by default) and starts the server again.
func (s *Server) Restart(ctx context.Context, stop StopOptions, start StartOptions) error {
	if err := s.Stop(ctx, stop); err != nil {
		return err
	}
	return s.Start(ctx, start)
}

// runScript runs a user command (split like shlex) with extra args and env.
// It returns the exit code (-1 when it could not run).
func (s *Server) runScript(ctx context.Context, what, command string, args, env []string) int {
	words, err := SplitCommand(command)
	if err != nil || len(words) == 0 {
		s.log.Error("invalid "+what+" command", "command", command, "error", err)
		return -1
	}
	cmd := exec.CommandContext(ctx, words[0], append(words[1:], args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if s.PostmasterOutput != nil {
		cmd.Stdout, cmd.Stderr = s.PostmasterOutput, s.PostmasterOutput
	}
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		s.log.Warn(what+" exited with non-zero code", "command", command, "code", ee.ExitCode())
		return ee.ExitCode()
	default:
		s.log.Error(what+" failed to run", "command", command, "error", err)
		return -1
	}
}
