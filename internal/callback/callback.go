// Package callback runs the user scripts configured under
// postgresql.callbacks (on_start, on_stop, on_restart, on_reload,
// on_role_change) the way Patroni does: argv is the shell-split command plus
// action, role and scope, no shell is involved, callbacks run asynchronously
// and at most one runs at a time (on_reload has its own slot) — firing a new
// one kills the running one together with its process group.
package callback

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/patroni-go/patroni/internal/config"
)

// Callback actions.
const (
	OnStart      = "on_start"
	OnStop       = "on_stop"
	OnRestart    = "on_restart"
	OnReload     = "on_reload"
	OnRoleChange = "on_role_change"
)

// outputGrace bounds how long we wait for a finished script's output pipes
// (a daemonised grandchild may keep them open).
const outputGrace = 2 * time.Second

// Runner fires callbacks. The zero value is not usable; use NewRunner.
type Runner struct {
	scope  string
	logger *slog.Logger

	mu     sync.Mutex
	cmds   map[string]string
	main   *proc // on_start, on_stop, on_restart, on_role_change
	reload *proc // on_reload
	closed bool
	wg     sync.WaitGroup
}

// proc is one running script.
type proc struct {
	cmd     *exec.Cmd
	argv    []string
	done    chan struct{} // closed once reaped and logged
	output  *os.File      // read end of the stdout/stderr pipe
	outDone chan struct{} // closed when the output reader stops
}

// NewRunner returns a Runner for the commands of postgresql.callbacks
// (action → command line) of the cluster scope. A nil logger discards output.
func NewRunner(cmds map[string]string, scope string, logger *slog.Logger) *Runner {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{scope: scope, logger: logger, cmds: copyMap(cmds)}
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// SetCommands replaces the configured commands (after a configuration reload).
func (r *Runner) SetCommands(cmds map[string]string) {
	r.mu.Lock()
	r.cmds = copyMap(cmds)
	r.mu.Unlock()
}

// Fire starts the callback for action with the given role (e.g. "primary",
// "replica", "standby_leader", "demoted", "uninitialized") and returns at
// once. A running callback of the same slot is killed first. Nothing happens
// when no command is configured for action or the runner is closed.
func (r *Runner) Fire(action, role string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	command := r.cmds[action]
	if r.closed || command == "" {
		return
	}
	words, err := config.SplitCommand(command)
	if err != nil || len(words) == 0 {
		r.logger.Error("callback: cannot parse command", "action", action, "command", command, "error", err)
		return
	}
	argv := append(words, action, role, r.scope)
	slot := &r.main
	if action == OnReload {
		slot = &r.reload
	}
	r.stop(*slot)
	*slot = r.start(argv)
}

// start launches argv in its own process group; nil when it cannot start.
func (r *Runner) start(argv []string) *proc {
	p, err := launch(argv, r.logger)
	if err != nil {
		r.logger.Error("callback: failed to execute", "argv", argv, "error", err)
		return nil
	}
	r.logger.Debug("callback started", "argv", argv, "pid", p.cmd.Process.Pid)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		logExit(r.logger, argv, p.wait())
		close(p.done)
	}()
	return p
}

// launch starts argv in a new process group with stdout and stderr logged
// line by line.
func launch(argv []string, logger *slog.Logger) (*proc, error) {
	rd, wr, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p := &proc{cmd: exec.Command(argv[0], argv[1:]...), argv: argv, done: make(chan struct{}),
		output: rd, outDone: make(chan struct{})}
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.cmd.Stdout, p.cmd.Stderr = wr, wr
	err = p.cmd.Start()
	wr.Close() // the child holds its own copy
	if err != nil {
		rd.Close()
		return nil, err
	}
	go logLines(p.outDone, rd, logger, argv)
	return p, nil
}

// wait reaps the process, then gives its output a moment to drain (a
// daemonised grandchild may hold the pipe open forever).
func (p *proc) wait() error {
	err := p.cmd.Wait()
	select {
	case <-p.outDone:
	case <-time.After(outputGrace):
		p.output.Close()
		<-p.outDone
	}
	p.output.Close()
	return err
}

// stop kills a running script and its process group and waits for it.
func (r *Runner) stop(p *proc) {
	if p == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	killGroup(p.cmd, syscall.SIGKILL)
	r.logger.Warn("Killed callback because it was still running", "argv", p.argv)
	<-p.done
}

func killGroup(cmd *exec.Cmd, sig syscall.Signal) {
	if cmd.Process == nil {
		return
	}
	// The group id is the pid (Setpgid); fall back to the process alone.
	if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil {
		_ = cmd.Process.Signal(sig)
	}
}

// Wait blocks until every started callback has finished.
func (r *Runner) Wait() { r.wg.Wait() }

// Close kills running callbacks, waits for them and refuses new ones.
func (r *Runner) Close() {
	r.mu.Lock()
	r.closed = true
	r.stop(r.main)
	r.stop(r.reload)
	r.main, r.reload = nil, nil
	r.mu.Unlock()
	r.wg.Wait()
}

func logLines(done chan struct{}, rd io.Reader, logger *slog.Logger, argv []string) {
	defer close(done)
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		logger.Info("callback output", "argv", argv, "line", sc.Text())
	}
	_, _ = io.Copy(io.Discard, rd) // after an over-long line, drain so the script never blocks
}

func logExit(logger *slog.Logger, argv []string, err error) {
	var ee *exec.ExitError
	switch {
	case err == nil:
		logger.Debug("callback finished", "argv", argv)
	case errors.As(err, &ee):
		logger.Warn("callback exited with an error", "argv", argv, "status", ee.String())
	default:
		logger.Warn("callback wait failed", "argv", argv, "error", err)
	}
}

// CancelGrace is how long a cancelled synchronous script gets between
// SIGTERM and SIGKILL (Patroni waits up to 10 s).
const CancelGrace = 10 * time.Second

// RunSync runs a synchronous hook such as pre_promote or before_stop: argv is
// the shell-split command (no extra arguments), output is logged, and the
// result is nil for exit status 0, an *exec.ExitError for a non-zero status,
// or another error when it could not run. Cancelling ctx terminates the
// script's process group (SIGTERM, then SIGKILL after CancelGrace).
func RunSync(ctx context.Context, command string, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	argv, err := config.SplitCommand(command)
	if err != nil {
		return fmt.Errorf("cannot parse command %q: %w", command, err)
	}
	if len(argv) == 0 {
		return fmt.Errorf("empty command")
	}
	p, err := launch(argv, logger)
	if err != nil {
		return fmt.Errorf("failed to execute %v: %w", argv, err)
	}
	stopWatch := watchCancel(ctx, p.cmd)
	err = p.wait()
	stopWatch()
	if err == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// watchCancel terminates cmd's group when ctx ends; the returned func stops watching.
func watchCancel(ctx context.Context, cmd *exec.Cmd) func() {
	finished := make(chan struct{})
	go func() {
		select {
		case <-finished:
			return
		case <-ctx.Done():
		}
		killGroup(cmd, syscall.SIGTERM)
		t := time.NewTimer(CancelGrace)
		defer t.Stop()
		select {
		case <-finished:
		case <-t.C:
			killGroup(cmd, syscall.SIGKILL)
		}
	}()
	return func() { close(finished) }
}

// RunSync runs a synchronous hook with the runner's logger.
func (r *Runner) RunSync(ctx context.Context, command string) error {
	return RunSync(ctx, command, r.logger)
}
