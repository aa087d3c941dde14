package pg

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// postmaster is a running postmaster: our child (cmd != nil) or one found via
// postmaster.pid and watched through a pidfd.
type postmaster struct {
	pid     int
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	started time.Time
}

func (p *postmaster) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

func (p *postmaster) signal(sig syscall.Signal) error {
	if !p.alive() {
		return nil
	}
	err := syscall.Kill(p.pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// startChild starts cmd and returns a postmaster whose done channel closes
// when wait() returns.
func startChild(cmd *exec.Cmd, onExit func(int)) (*postmaster, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // signals to us don't reach it
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &postmaster{pid: cmd.Process.Pid, cmd: cmd, done: make(chan struct{}), started: time.Now()}
	go func() {
		_ = cmd.Wait()
		close(p.done)
		if onExit != nil {
			onExit(p.pid)
		}
	}()
	return p, nil
}

// watchPid watches a process that is not our child via a pidfd: poll fires at
// exit even before the zombie is reaped. A zombie counts as dead.
func watchPid(pid int, onExit func(int)) (*postmaster, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, fmt.Errorf("pidfd_open(%d): %w", pid, err)
	}
	p := &postmaster{pid: pid, done: make(chan struct{})}
	if isZombie(pid) {
		unix.Close(fd)
		close(p.done)
		return p, nil
	}
	go func() {
		defer unix.Close(fd)
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			n, err := unix.Poll(fds, 1000)
			if err == nil && n > 0 || err != nil && !errors.Is(err, unix.EINTR) || isZombie(pid) {
				break
			}
		}
		close(p.done)
		if onExit != nil {
			onExit(pid)
		}
	}()
	return p, nil
}

// isZombie reports whether /proc/PID/stat says Z (or the process is gone).
func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	st := s[i+2]
	return st == 'Z' || st == 'X'
}

// PidFile is the content of postmaster.pid.
type PidFile struct {
	PID       int
	DataDir   string
	StartTime int64 // unix seconds
	Port      int
	SocketDir string
	Listen    string
	Status    string // "starting", "ready", "standby", "stopping" (PG ≥ 10)
}

// ReadPidFile parses <dataDir>/postmaster.pid; os.ErrNotExist when absent.
func ReadPidFile(dataDir string) (*PidFile, error) {
	f, err := os.Open(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("empty postmaster.pid in %s", dataDir)
	}
	pf := &PidFile{}
	if pf.PID, err = strconv.Atoi(strings.TrimSpace(lines[0])); err != nil {
		return nil, fmt.Errorf("bad pid %q in postmaster.pid", lines[0])
	}
	get := func(i int) string {
		if i < len(lines) {
			return strings.TrimSpace(lines[i])
		}
		return ""
	}
	pf.DataDir = get(1)
	pf.StartTime, _ = strconv.ParseInt(get(2), 10, 64)
	pf.Port, _ = strconv.Atoi(get(3))
	pf.SocketDir, pf.Listen, pf.Status = get(4), get(5), get(7)
	return pf, nil
}

// isPostgresProcess checks that pid runs a postgres binary on dataDir.
func isPostgresProcess(pid int, dataDir string) bool {
	if isZombie(pid) {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	if len(args) == 0 || !strings.Contains(filepath.Base(args[0]), "postgres") {
		return false
	}
	// Children of the postmaster rewrite their title; the postmaster keeps -D.
	for i, a := range args {
		if (a == "-D" && i+1 < len(args) && sameDir(args[i+1], dataDir)) ||
			(strings.HasPrefix(a, "-D") && sameDir(a[2:], dataDir)) {
			return true
		}
	}
	// Started without -D (PGDATA in the environment): trust postmaster.pid.
	return true
}

func sameDir(a, b string) bool {
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	if err1 != nil || err2 != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return ra == rb
}
