package pg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Errors of process control.
var (
	ErrAlreadyRunning = errors.New("postgres is already running")
	ErrStartTimeout   = errors.New("postgres did not become ready before the timeout; it is still starting")
	ErrNotRunning     = errors.New("postgres is not running")
)

// ExitError reports a postmaster that died while we waited for it.
type ExitError struct {
	PID    int
	Status string
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("postmaster (pid %d) exited during start: %s", e.PID, e.Status)
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// current returns the live postmaster, adopting one from postmaster.pid if
// we are not watching one yet. nil when postgres is not running.
func (s *Server) current() *postmaster {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p != nil && p.alive() {
		return p
	}
	p, _ = s.adopt()
	return p
}

// notifyExit calls OnExit as set at the time the postmaster died.
func (s *Server) notifyExit(pid int) {
	s.mu.Lock()
	f := s.OnExit
	s.mu.Unlock()
	if f != nil {
		f(pid)
	}
}

// IsRunning reports whether a postmaster runs on the data directory.
func (s *Server) IsRunning() bool { return s.current() != nil }

// PID of the postmaster, 0 when not running.
func (s *Server) PID() int {
	if p := s.current(); p != nil {
		return p.pid
	}
	return 0
}

// Done returns a channel closed when the current postmaster exits (already
// closed when none runs). Re-read it after every Start.
func (s *Server) Done() <-chan struct{} {
	if p := s.current(); p != nil {
		return p.done
	}
	return closedChan
}

// Adopt finds a postmaster already running on the data directory (via
// postmaster.pid) and watches it with a pidfd, so Done/OnExit fire when it
// dies. It returns its pid, 0 when none runs.
func (s *Server) Adopt() (int, error) {
	p, err := s.adopt()
	if p == nil {
		return 0, err
	}
	return p.pid, err
}

func (s *Server) adopt() (*postmaster, error) {
	pf, err := ReadPidFile(s.opts.DataDir)
	if err != nil {
		return nil, nil
	}
	if pf.PID <= 0 || !isPostgresProcess(pf.PID, s.opts.DataDir) {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil && s.proc.pid == pf.PID && s.proc.alive() {
		return s.proc, nil
	}
	p, err := watchPid(pf.PID, s.notifyExit)
	if err != nil {
		return nil, err
	}
	if !p.alive() {
		return nil, nil
	}
	p.started = time.Unix(pf.StartTime, 0)
	s.proc = p
	s.log.Info("found a running postmaster", "pid", pf.PID)
	return p, nil
}

// StartOptions say how to start the server.
type StartOptions struct {
	Role     Role
	Upstream *Upstream     // replicas: whom to follow (nil → standby without upstream)
	Timeout  time.Duration // wait for readiness; 0 → pg_ctl_timeout, <0 → do not wait
	// SkipConfig starts with the configuration files as they are.
	SkipConfig bool
}

// Start writes the configuration for the role, starts the postmaster as our
// child and waits until it accepts connections. ErrStartTimeout leaves it
// running (still starting); ErrAlreadyRunning means one was already there.
func (s *Server) Start(ctx context.Context, so StartOptions) error {
	if s.current() != nil {
		return ErrAlreadyRunning
	}
	if so.Role == "" {
		so.Role = RolePrimary
	}
	sp, err := s.EffectiveParams(ctx, so.Role)
	if err != nil {
		return err
	}
	if !so.SkipConfig {
		var rp *RecoveryParams
		if so.Role != RolePrimary {
			r := BuildRecoveryParams(&s.opts, s.major, sp.RecoveryConf, so.Upstream)
			rp = &r
		}
		if err := s.writeConfigFiles(sp, rp); err != nil {
			return fmt.Errorf("writing configuration: %w", err)
		}
	}
	if err := checkPortFree(sp.Params["listen_addresses"], sp.Params["port"]); err != nil {
		return err
	}
	args := append([]string{"-D", s.opts.DataDir, "--config-file=" + s.ConfigFile()}, CmdlineArgs(sp.Params, s.major)...)
	cmd, err := s.command(context.Background(), BinPostgres, args...)
	if err != nil {
		return err
	}
	s.setOutput(cmd)
	s.closeConn()
	p, err := startChild(cmd, s.notifyExit)
	if err != nil {
		return fmt.Errorf("starting postgres: %w", err)
	}
	s.mu.Lock()
	s.proc, s.startArgs = p, CmdlineArgs(sp.Params, s.major)
	s.mu.Unlock()
	s.log.Info("postmaster started", "pid", p.pid, "role", so.Role)
	timeout := so.Timeout
	if timeout == 0 {
		timeout = s.opts.pgCtlTimeout()
	}
	if timeout < 0 {
		return nil
	}
	return s.WaitReady(ctx, timeout)
}

func (s *Server) setOutput(cmd *exec.Cmd) {
	out := s.PostmasterOutput
	if out == nil {
		out = os.Stderr
	}
	cmd.Stdout, cmd.Stderr = out, out
}

// checkPortFree gives a clear error when another process holds the port.
func checkPortFree(listen, port string) error {
	for _, h := range strings.Split(listen, ",") {
		h = strings.TrimSpace(h)
		if h == "*" {
			h = ""
		}
		l, err := net.Listen("tcp", net.JoinHostPort(h, port))
		if err != nil {
			if errors.Is(err, syscall.EADDRINUSE) {
				return fmt.Errorf("cannot start postgres: port %s on %q is already in use", port, h)
			}
			continue // e.g. an address not configured here: let postgres report it
		}
		l.Close()
	}
	return nil
}

// WaitReady waits until postmaster.pid says the server accepts connections
// ("ready", or "standby" for a hot standby) or the process dies.
func (s *Server) WaitReady(ctx context.Context, timeout time.Duration) error {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p == nil {
		return ErrNotRunning
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if pf, err := ReadPidFile(s.opts.DataDir); err == nil && pf.PID == p.pid &&
			(pf.Status == "ready" || pf.Status == "standby") {
			return nil
		}
		select {
		case <-p.done:
			return s.exitError(p)
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return ErrStartTimeout
		case <-tick.C:
		}
	}
}

func (s *Server) exitError(p *postmaster) error {
	status := "unknown status"
	if p.cmd != nil && p.cmd.ProcessState != nil {
		status = p.cmd.ProcessState.String()
	}
	return &ExitError{PID: p.pid, Status: status}
}

// IsReady reports whether the running server accepts connections.
func (s *Server) IsReady() bool {
	p := s.current()
	if p == nil {
		return false
	}
	pf, err := ReadPidFile(s.opts.DataDir)
	return err == nil && pf.PID == p.pid && (pf.Status == "ready" || pf.Status == "standby")
}

// PostmasterStartTime is when the running postmaster started (zero if none).
func (s *Server) PostmasterStartTime() time.Time {
	if pf, err := ReadPidFile(s.opts.DataDir); err == nil && s.current() != nil {
		return time.Unix(pf.StartTime, 0)
	}
	return time.Time{}
}

// Reload sends SIGHUP so the postmaster re-reads its configuration files.
func (s *Server) Reload() error {
	p := s.current()
	if p == nil {
		return ErrNotRunning
	}
	return p.signal(syscall.SIGHUP)
}
