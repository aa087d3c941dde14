// Package testenv starts real DCS servers (etcd, ZooKeeper, Consul) for tests, on free
// loopback ports with data in t.TempDir(), and stops them when the test ends.
//
// It is meant to be imported from _test.go files only. A server whose binary is missing
// skips the test, except under CI (env CI set), where it fails: CI must never silently
// skip a backend.
package testenv

import (
	"fmt"
	"net"
	"os"
	"testing"
	"time"
)

// startTimeout bounds how long any server may take to become ready; a loaded 2-core
// machine needs headroom, a healthy start takes a few seconds at most.
const startTimeout = 60 * time.Second

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. Another process
// may take it before the caller binds it; starters retry with fresh ports when that happens.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatalf("testenv: no free port on 127.0.0.1: %v", err)
	}
	return port
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// freePorts returns n distinct free ports.
func freePorts(n int) ([]int, error) {
	seen := make(map[int]bool, n)
	ports := make([]int, 0, n)
	for len(ports) < n {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	return ports, nil
}

// RequireNonRoot fails the test when it runs as root: PostgreSQL refuses to start as root,
// so tests that start it must run as the unprivileged test user.
func RequireNonRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		t.Fatal("testenv: this test starts PostgreSQL, which refuses to run as root; " +
			"run it as the test user: scripts/as-test-user.sh go test ./...")
	}
}

// InCI reports whether the tests run under CI, where a missing server is an error.
func InCI() bool { return os.Getenv("CI") != "" }

// Unavailable skips the test because a server it needs is missing, or fails it under CI.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := "testenv: " + fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatal(msg + " (CI is set, so this is an error rather than a skip)")
	}
	t.Skip(msg)
}

// loopback returns "127.0.0.1:port".
func loopback(port int) string {
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
}

// waitUntil polls ready every 50ms until it returns nil, the deadline passes, or stop
// is closed (the server exited); it returns the last error seen.
func waitUntil(timeout time.Duration, stop <-chan struct{}, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %w", timeout, err)
		}
		select {
		case <-stop:
			return fmt.Errorf("server exited before it was ready: %w", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
