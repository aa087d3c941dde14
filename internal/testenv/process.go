package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// stopTimeout is how long a server gets to exit after SIGTERM before it is killed.
const stopTimeout = 10 * time.Second

// errPortInUse marks a start that failed because another process took a chosen port.
var errPortInUse = errors.New("a chosen port is in use")

// process runs one external server as our child in its own process group: we wait for it
// ourselves (no zombies, see FACTS.md), and Pdeathsig kills it if the test binary dies.
type process struct {
	name    string
	argv    []string
	logPath string
	ready   func() error // nil once the server answers

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the running child has exited
}

// start launches the server and waits until ready reports it answers.
func (p *process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("%s is already running", p.name)
	}
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own copy of the descriptor
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	p.cmd, p.done = cmd, done
	if err := waitUntil(startTimeout, done, p.ready); err != nil {
		p.stopLocked()
		tail := fileTail(p.logPath, 4096)
		if strings.Contains(tail, "address already in use") || strings.Contains(tail, "BindException") {
			return fmt.Errorf("%s: %w: %v", p.name, errPortInUse, err)
		}
		return fmt.Errorf("%s: %w; log %s ends with:\n%s", p.name, err, p.logPath, tail)
	}
	return nil
}

// stop terminates the server (SIGTERM to its process group, SIGKILL after stopTimeout)
// and waits until it has exited. Stopping a stopped server does nothing.
func (p *process) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopLocked()
}

func (p *process) stopLocked() {
	if p.cmd == nil {
		return
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	_ = syscall.Kill(-pgid, syscall.SIGCONT) // a paused server must run to exit
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	p.cmd, p.done = nil, nil
}

// pid returns the running server's process id, 0 when it is stopped.
func (p *process) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// fileTail returns at most n bytes from the end of a server's log file.
func fileTail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(st.Size()-n, 0)
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return ""
	}
	return string(buf)
}

// startRetrying starts a server, choosing fresh ports again (through newProc) when another
// process took one of them between FreePort and the server binding it.
func startRetrying(newProc func(ports []int) (*process, error), nports int) (*process, error) {
	var err error
	for range 3 {
		var ports []int
		if ports, err = freePorts(nports); err != nil {
			return nil, err
		}
		var p *process
		if p, err = newProc(ports); err != nil {
			return nil, err
		}
		if err = p.start(); err == nil {
			return p, nil
		}
		if !errors.Is(err, errPortInUse) {
			return nil, err
		}
	}
	return nil, err
}

// logOnFailure shows the end of a server's log when the test failed.
func logOnFailure(t testing.TB, name, path string) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("testenv: end of %s log %s:\n%s", name, path, fileTail(path, 2048))
		}
	})
}

// external gives a server run as a child process its Stop, Restart and PID.
type external struct{ proc *process }

// PID returns the server's process id (0 when stopped), for tests that signal it
// (SIGSTOP makes a server that accepts connections but never answers).
func (s external) PID() int { return s.proc.pid() }

// Stop terminates the server and waits for it to exit. Stopping twice does nothing.
func (s external) Stop() { s.proc.stop() }

// Restart stops the server if it runs and starts it again on the same ports and data.
func (s external) Restart(t testing.TB) {
	t.Helper()
	s.proc.stop()
	if err := s.proc.start(); err != nil {
		t.Fatalf("testenv: restart %s: %v", s.proc.name, err)
	}
}
