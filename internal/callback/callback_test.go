package callback

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// script writes an executable shell script into dir and returns its path.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, _ := os.ReadFile(p)
	return string(b)
}

// processGone: the pid no longer exists or is a zombie (init reaps slowly here).
func processGone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestFirePassesActionRoleScope(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "args")
	cb := script(t, dir, "cb.sh", `printf '%s|' "$@" >> "`+out+`"; echo hello from callback`)
	var logs syncBuffer
	r := NewRunner(map[string]string{
		OnStart:      cb + ` --opt 'two words' "dq \"x\""`,
		OnRoleChange: cb,
	}, "batman", slog.New(slog.NewTextHandler(&logs, nil)))
	defer r.Close()

	r.Fire(OnStart, "replica")
	r.Wait()
	if got, want := readFile(t, out), `--opt|two words|dq "x"|on_start|replica|batman|`; got != want {
		t.Fatalf("args = %q, want %q", got, want)
	}
	r.Fire(OnRoleChange, "primary")
	r.Wait()
	if got := readFile(t, out); !strings.HasSuffix(got, "on_role_change|primary|batman|") {
		t.Fatalf("args = %q", got)
	}
	if !strings.Contains(logs.String(), "hello from callback") {
		t.Fatalf("callback output not logged: %s", logs.String())
	}
}

func TestFireWithoutCommandOrBadCommandIsNoop(t *testing.T) {
	var logs syncBuffer
	r := NewRunner(map[string]string{OnStop: `"unterminated`}, "s", slog.New(slog.NewTextHandler(&logs, nil)))
	defer r.Close()
	r.Fire(OnStart, "replica") // not configured
	r.Fire(OnStop, "replica")  // cannot be split
	r.Wait()
	if !strings.Contains(logs.String(), "No closing quotation") {
		t.Fatalf("expected parse error in logs: %s", logs.String())
	}
}

func TestNewCallbackKillsRunningOneAndItsChildren(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "args")
	childPid := filepath.Join(dir, "child.pid")
	slow := script(t, dir, "slow.sh", `echo "slow $1" >> "`+out+`"
sleep 60 & echo $! > "`+childPid+`"
wait
echo "slow finished" >> "`+out+`"
`)
	fast := script(t, dir, "fast.sh", `echo "fast $1 $2" >> "`+out+`"`)
	r := NewRunner(map[string]string{OnStart: slow, OnRoleChange: fast}, "batman", nil)
	defer r.Close()

	r.Fire(OnStart, "replica")
	waitFor(t, "slow callback child", func() bool { return readFile(t, childPid) != "" })
	pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, childPid)))
	if err != nil {
		t.Fatal(err)
	}
	r.Fire(OnRoleChange, "primary")
	r.Wait()
	if got, want := readFile(t, out), "slow on_start\nfast on_role_change primary\n"; got != want {
		t.Fatalf("output = %q, want %q", got, want)
	}
	waitFor(t, "grandchild to be killed", func() bool { return processGone(pid) })
}

func TestOnReloadHasItsOwnSlot(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "args")
	slow := script(t, dir, "slow.sh", `echo "start $1" >> "`+out+`"; exec sleep 60`)
	reload := script(t, dir, "reload.sh", `echo "reload $1 $2 $3" >> "`+out+`"`)
	r := NewRunner(map[string]string{OnRoleChange: slow, OnReload: reload}, "c1", nil)
	r.Fire(OnRoleChange, "replica")
	waitFor(t, "slow callback", func() bool { return strings.Contains(readFile(t, out), "start") })
	r.Fire(OnReload, "replica")
	waitFor(t, "reload callback", func() bool { return strings.Contains(readFile(t, out), "reload") })
	r.mu.Lock()
	running := r.main != nil
	if running {
		select {
		case <-r.main.done:
			running = false
		default:
		}
	}
	r.mu.Unlock()
	if !running {
		t.Fatal("on_reload killed the running on_role_change callback")
	}
	r.Close() // kills the sleeping one
	if got := readFile(t, out); got != "start on_role_change\nreload on_reload replica c1\n" {
		t.Fatalf("output = %q", got)
	}
	r.Fire(OnReload, "replica") // closed: ignored
}

func TestRunSync(t *testing.T) {
	dir := t.TempDir()
	ok := script(t, dir, "ok.sh", `exit 0`)
	bad := script(t, dir, "bad.sh", `echo refusing; exit 3`)
	if err := RunSync(context.Background(), ok+" arg", nil); err != nil {
		t.Fatalf("ok script: %v", err)
	}
	err := RunSync(context.Background(), bad, nil)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("bad script: err = %v, want exit status 3", err)
	}
	if err := RunSync(context.Background(), filepath.Join(dir, "missing"), nil); err == nil {
		t.Fatal("missing script: want an error")
	}
	if err := RunSync(context.Background(), `'unterminated`, nil); err == nil {
		t.Fatal("unparsable command: want an error")
	}
}

func TestRunSyncCancelTerminatesScript(t *testing.T) {
	dir := t.TempDir()
	started := filepath.Join(dir, "started")
	long := script(t, dir, "long.sh", `touch "`+started+`"; exec sleep 60`)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- RunSync(ctx, long, nil) }()
	waitFor(t, "script start", func() bool { _, err := os.Stat(started); return err == nil })
	cancel()
	select {
	case err := <-errc:
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("err = %v, want an exit error", err)
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGTERM {
			t.Fatalf("status = %v, want killed by SIGTERM", ee)
		}
	case <-time.After(CancelGrace):
		t.Fatal("cancelled script still running")
	}
}
