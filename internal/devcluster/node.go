package devcluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Node is one patroni process with its PostgreSQL.
type Node struct {
	Name       string
	Index      int
	APIPort    int
	PGPort     int
	Dir        string
	ConfigPath string
	DataDir    string
	LogPath    string
	// PatroniBin, when set, runs this node with another program than the cluster's
	// (e.g. real Patroni next to ours); it takes effect at the next Start.
	PatroniBin string

	cluster *Cluster
	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
}

// APIURL is the node's REST API base URL.
func (n *Node) APIURL() string { return fmt.Sprintf("http://127.0.0.1:%d", n.APIPort) }

// DSN connects to the node's PostgreSQL as the superuser.
func (n *Node) DSN() string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=%s password=%s dbname=postgres connect_timeout=3 sslmode=disable",
		n.PGPort, SuperUser, SuperPassword)
}

// Start launches the patroni process; its output goes to LogPath.
func (n *Node) Start() error {
	n.reap()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		return fmt.Errorf("%s is already running", n.Name)
	}
	logf, err := os.OpenFile(n.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cred, err := credential(n.cluster.Opts.RunAs)
	if err != nil {
		return err
	}
	bin := n.cluster.Opts.PatroniBin
	if n.PatroniBin != "" {
		bin = n.PatroniBin
	}
	cmd := exec.Command(bin, n.ConfigPath)
	cmd.Dir = n.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = homeEnv(n.cluster.Opts.RunAs, n.cluster.Opts.Env)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", n.Name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	n.cmd, n.done = cmd, done
	return nil
}

// PID is the patroni process id, 0 when not running.
func (n *Node) PID() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return 0
	}
	return n.cmd.Process.Pid
}

// Running reports whether the patroni process has not exited.
func (n *Node) Running() bool {
	n.mu.Lock()
	done := n.done
	n.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Exited returns a channel closed when the patroni process exits (nil if never started).
func (n *Node) Exited() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.done
}

// Signal sends sig to the patroni process only.
func (n *Node) Signal(sig syscall.Signal) error {
	pid := n.PID()
	if pid == 0 {
		return fmt.Errorf("%s is not running", n.Name)
	}
	return syscall.Kill(pid, sig)
}

// Stop sends SIGTERM and waits up to timeout, then kills the node (patroni and postmaster).
func (n *Node) Stop(timeout time.Duration) {
	if n.PID() == 0 {
		return
	}
	_ = n.Signal(syscall.SIGTERM)
	select {
	case <-n.Exited():
	case <-time.After(timeout):
		n.Kill()
	}
	n.reap()
}

// Kill is node death: SIGKILL to the patroni process group and to the postmaster.
func (n *Node) Kill() {
	if pid := n.PID(); pid != 0 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	n.KillPostgres(syscall.SIGKILL)
	if done := n.Exited(); done != nil {
		<-done
	}
	n.reap()
}

func (n *Node) reap() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.done != nil {
		select {
		case <-n.done:
			n.cmd, n.done = nil, nil
		default:
		}
	}
}

// PostmasterPID reads the postmaster's pid from postmaster.pid (0 if none).
func (n *Node) PostmasterPID() int {
	b, err := os.ReadFile(filepath.Join(n.DataDir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	return pid
}

// KillPostgres signals the node's postmaster (e.g. SIGKILL for a crash).
func (n *Node) KillPostgres(sig syscall.Signal) {
	if pid := n.PostmasterPID(); pid > 0 {
		_ = syscall.Kill(pid, sig)
	}
}

// Get performs GET path on the node's REST API and returns the status code and body.
func (n *Node) Get(ctx context.Context, path string) (int, string) {
	return n.Do(ctx, http.MethodGet, path, "")
}

// Do sends one request to the node's REST API; code 0 means it did not answer. Reads
// time out after 3 s; other methods get 60 s, as a switchover answers once it is done.
func (n *Node) Do(ctx context.Context, method, path, body string) (int, string) {
	timeout := 3 * time.Second
	if method != http.MethodGet && method != http.MethodHead {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, n.APIURL()+path, strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

// PatroniLogTail returns about the last max bytes of the node's own log lines, without
// PostgreSQL's (which share the file and drown them).
func (n *Node) PatroniLogTail(max int) string {
	b, err := os.ReadFile(n.LogPath)
	if err != nil {
		return ""
	}
	var keep []string
	size := 0
	lines := strings.Split(string(b), "\n")
	for i := len(lines) - 1; i >= 0 && size < max; i-- {
		l := lines[i]
		if strings.Contains(l, " UTC [") || strings.HasPrefix(l, "\t") {
			continue
		}
		keep = append(keep, l)
		size += len(l) + 1
	}
	for i, j := 0, len(keep)-1; i < j; i, j = i+1, j-1 {
		keep[i], keep[j] = keep[j], keep[i]
	}
	return strings.Join(keep, "\n")
}

// LogTail returns the end of the node's log, for failure messages.
func (n *Node) LogTail(max int64) string {
	f, err := os.Open(n.LogPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	off := st.Size() - max
	if off < 0 {
		off = 0
	}
	b := make([]byte, st.Size()-off)
	_, _ = f.ReadAt(b, off)
	return string(b)
}
