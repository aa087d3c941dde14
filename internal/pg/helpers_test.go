package pg

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// needPostgres skips tests that start PostgreSQL when that is impossible here.
func needPostgres(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("short mode")
	}
	if os.Geteuid() == 0 {
		t.Skip("PostgreSQL refuses to run as root; run via scripts/as-test-user.sh")
	}
	if _, err := (Binaries{}).Path(BinPostgres); err != nil {
		t.Skip(err)
	}
}

// shortTempDir keeps socket paths far below 108 bytes.
func shortTempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("/tmp", "pgt-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var testHBA = []string{
	"local all all trust",
	"local replication all trust",
	"host all all 127.0.0.1/32 scram-sha-256",
	"host replication all 127.0.0.1/32 scram-sha-256",
}

// nodeOptions are fast, small settings for a test member.
func nodeOptions(dir, name string, port int) Options {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	return Options{
		Scope: "pgtest", Name: name,
		DataDir: filepath.Join(dir, name), Listen: addr, ConnectAddress: addr,
		PgPass:      filepath.Join(dir, "pgpass-"+name),
		Superuser:   User{Username: "postgres", Password: "su-secret"},
		Replication: User{Username: "replicator", Password: "rep 'secret'"},
		Rewind:      &User{Username: "rewind_user", Password: "rw-secret"},
		Parameters: map[string]string{
			"unix_socket_directories": dir, "fsync": "off", "shared_buffers": "16MB",
			"max_connections": "30", "max_wal_senders": "6", "max_replication_slots": "6",
			"wal_keep_size": "64MB", "log_min_messages": "warning", "synchronous_commit": "local",
		},
		PgHBA:         testHBA,
		UseUnixSocket: true, UseSlots: true, UsePgRewind: true,
		PgCtlTimeout: 30 * time.Second,
	}
}

func newTestServer(t *testing.T, o Options) *Server {
	t.Helper()
	s, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(filepath.Dir(o.DataDir), o.Name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	s.PostmasterOutput = logf
	t.Cleanup(func() {
		s.Stop(context.Background(), StopOptions{Mode: StopImmediate, Timeout: 10 * time.Second, SkipBeforeStop: true})
		s.Close()
		logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logf.Name()); err == nil {
				t.Logf("%s log:\n%s", o.Name, b)
			}
		}
	})
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls f until it returns true or the deadline passes.
func eventually(t *testing.T, what string, timeout time.Duration, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func upstreamOf(t *testing.T, s *Server) *Upstream {
	t.Helper()
	p, err := ParseConnURL(s.ConnURL())
	if err != nil {
		t.Fatal(err)
	}
	return &Upstream{Name: s.opts.Name, Conn: p}
}

func bootstrapPrimary(t *testing.T, dir, name string) *Server {
	t.Helper()
	ctx := ctxT(t)
	s := newTestServer(t, nodeOptions(dir, name, freePort(t)))
	if err := s.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.PostBootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}
