package pg

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestCrashedPostmasterNoticed(t *testing.T) {
	needPostgres(t)
	dir := shortTempDir(t)
	ctx := ctxT(t)
	s := bootstrapPrimary(t, dir, "n1")
	var exited atomic.Int64
	s.OnExit = func(pid int) { exited.Store(int64(pid)) }

	// A second controller of the same data directory adopts the running
	// postmaster instead of starting another one.
	o := s.Options()
	adopter, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer adopter.Close()
	if err := adopter.Start(ctx, StartOptions{}); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second start: %v", err)
	}
	if adopter.PID() != s.PID() {
		t.Fatalf("adopted pid %d, running %d", adopter.PID(), s.PID())
	}
	childDone, adoptedDone := s.Done(), adopter.Done()
	pid := s.PID()
	start := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for name, ch := range map[string]<-chan struct{}{"child": childDone, "adopted": adoptedDone} {
		select {
		case <-ch:
		case <-time.After(time.Second):
			t.Fatalf("%s watcher did not notice the death within a second", name)
		}
	}
	t.Logf("noticed after %s", time.Since(start))
	if s.IsRunning() || adopter.IsRunning() {
		t.Fatal("dead postmaster reported as running")
	}
	eventually(t, "OnExit", time.Second, func() bool { return exited.Load() == int64(pid) })
	// Orphaned backends may linger briefly; a restart then works (crash recovery).
	eventually(t, "restart after crash", 30*time.Second, func() bool {
		return s.Start(ctx, StartOptions{Role: RolePrimary}) == nil
	})
}

func TestStuckStopEscalates(t *testing.T) {
	needPostgres(t)
	dir := shortTempDir(t)
	ctx := ctxT(t)
	o := nodeOptions(dir, "n1", freePort(t))
	o.Parameters["archive_mode"] = "on"
	o.Parameters["archive_command"] = "sleep 4"
	marker := filepath.Join(dir, "before_stop_ran")
	o.BeforeStop = "touch " + marker
	s := newTestServer(t, o)
	if err := s.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	// Make WAL segments to archive: the archiver blocks the fast shutdown.
	for i := 0; i < 3; i++ {
		if err := s.Exec(ctx, "CREATE TABLE IF NOT EXISTS x(v int); INSERT INTO x VALUES (1); SELECT pg_switch_wal()"); err != nil {
			t.Fatal(err)
		}
	}
	done := s.Done()
	var escalations []string
	onEscalate := func(from, to syscall.Signal) { escalations = append(escalations, from.String()+"→"+to.String()) }
	if err := s.Stop(ctx, StopOptions{Mode: StopFast, Timeout: 300 * time.Millisecond, OnEscalate: onEscalate}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	default:
		t.Fatal("Stop returned while the postmaster lives")
	}
	if !fileExists(marker) {
		t.Fatal("before_stop did not run")
	}
	if !slices.Equal(escalations, []string{"interrupt→quit"}) {
		t.Fatalf("escalations %v, want fast→immediate", escalations)
	}
	cd, err := s.Controldata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// An immediate stop leaves an unclean cluster: single-user crash recovery cleans it.
	if cd.State != StateShutDown {
		if err := s.CrashRecovery(ctx); err != nil {
			t.Fatal(err)
		}
		if cd, _ = s.Controldata(ctx); cd.State != StateShutDown {
			t.Fatalf("after crash recovery: %q", cd.State)
		}
	}
}

func TestPendingRestartAndReload(t *testing.T) {
	needPostgres(t)
	dir := shortTempDir(t)
	ctx := ctxT(t)
	s := bootstrapPrimary(t, dir, "n1")
	o := s.Options()
	o.Parameters = mapsClone(o.Parameters)
	o.Parameters["shared_buffers"] = "32MB"   // restart
	o.Parameters["max_connections"] = "40"    // command line: restart
	o.Parameters["work_mem"] = "7MB"          // reload
	o.Parameters["no_such_guc"] = "1"         // dropped with a warning
	o.Parameters["pg_stat_statements.x"] = "" // extension GUCs pass through
	if err := s.SetOptions(o); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteConfig(ctx, RolePrimary, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "pending restart", 10*time.Second, func() bool {
		st, err := s.Observe(ctx)
		return err == nil && slices.Equal(st.PendingRestart, []string{"max_connections", "shared_buffers"})
	})
	var wm string
	s.QueryRow(ctx, "SHOW work_mem", nil, &wm)
	if wm != "7MB" {
		t.Fatalf("work_mem after reload: %s", wm)
	}
	conf, _ := os.ReadFile(s.ConfigFile())
	if strings.Contains(string(conf), "no_such_guc") || !strings.Contains(string(conf), "pg_stat_statements.x = ''") {
		t.Fatalf("conf:\n%s", conf)
	}
	if err := s.Restart(ctx, StopOptions{Mode: StopFast}, StartOptions{Role: RolePrimary}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Observe(ctx)
	if err != nil || len(st.PendingRestart) != 0 {
		t.Fatalf("after restart %v %v", st.PendingRestart, err)
	}
}

func TestStartErrors(t *testing.T) {
	needPostgres(t)
	dir := shortTempDir(t)
	ctx := ctxT(t)
	o := nodeOptions(dir, "n1", freePort(t))
	o.BinDir = filepath.Join(dir, "nope")
	if _, err := New(ctx, o); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("missing bin_dir: %v", err)
	}
	o.BinDir = ""
	o.BinName = map[string]string{BinPostgres: "postgres-missing"}
	if _, err := New(ctx, o); err == nil || !strings.Contains(err.Error(), "postgres-missing") {
		t.Fatalf("missing binary: %v", err)
	}
	o.BinName = nil

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	o.Listen = "127.0.0.1:" + strconv.Itoa(port)
	s := newTestServer(t, o)
	err = s.Bootstrap(ctx)
	if err == nil || !errors.Is(err, ErrBootstrapFailed) || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("port in use: %v", err)
	}
	if !fileExists(o.DataDir+".failed") || fileExists(o.DataDir) {
		t.Fatal("failed bootstrap must leave <data_dir>.failed")
	}
}

func TestPostBootstrapScript(t *testing.T) {
	needPostgres(t)
	dir := shortTempDir(t)
	ctx := ctxT(t)
	o := nodeOptions(dir, "n1", freePort(t))
	out := filepath.Join(dir, "post.out")
	script := filepath.Join(dir, "post.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho \"$1|$PGPASSFILE|$PGOPTIONS\" > "+out+
		"\npsql -d \"$1\" -Atc 'CREATE TABLE made_by_script()' >/dev/null || exit 1\nexit ${FAIL:-0}\n"), 0o755)
	o.PostBootstrap = script
	s := newTestServer(t, o)
	if err := s.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.PostBootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	want := "dbname=postgres user=postgres host=" + dir + " port=" + s.port() + "|" + o.PgPass +
		"|-c synchronous_commit=local -c statement_timeout=0\n"
	if string(got) != want {
		t.Fatalf("script saw %q want %q", got, want)
	}
	var n int
	if err := s.QueryRow(ctx, "SELECT count(*) FROM pg_class WHERE relname = 'made_by_script'", nil, &n); err != nil || n != 1 {
		t.Fatalf("table %d %v", n, err)
	}

	// A failing script cancels the bootstrap: data directory → .failed.
	o2 := nodeOptions(dir, "n2", freePort(t))
	o2.PostBootstrap = "/bin/false"
	s2 := newTestServer(t, o2)
	if err := s2.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s2.PostBootstrap(ctx); !errors.Is(err, ErrBootstrapFailed) {
		t.Fatalf("failing post_bootstrap: %v", err)
	}
	if s2.IsRunning() || !fileExists(filepath.Join(o2.DataDir+".failed", "PG_VERSION")) {
		t.Fatal("cancelled bootstrap must stop postgres and rename the data directory")
	}
}

func mapsClone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
