package pg

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func cloneReplica(t *testing.T, dir, name string, primary *Server) *Server {
	t.Helper()
	ctx := ctxT(t)
	r := newTestServer(t, nodeOptions(dir, name, freePort(t)))
	if err := primary.CreatePhysicalSlot(ctx, SlotName(name)); err != nil {
		t.Fatal(err)
	}
	if err := r.CreateReplica(ctx, upstreamOf(t, primary), false); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx, StartOptions{Role: RoleReplica, Upstream: upstreamOf(t, primary)}); err != nil {
		t.Fatal(err)
	}
	return r
}

func waitStreaming(t *testing.T, primary, replica *Server) {
	t.Helper()
	ctx := ctxT(t)
	eventually(t, replica.opts.Name+" streaming from "+primary.opts.Name, 30*time.Second, func() bool {
		st, err := replica.Observe(ctx)
		if err != nil || st.ReplicationState != "streaming" {
			return false
		}
		pst, err := primary.Observe(ctx)
		if err != nil {
			return false
		}
		for _, r := range pst.Replication {
			if r.ApplicationName == replica.opts.Name && r.State == "streaming" {
				return st.ReplayedLSN >= pst.WALPosition
			}
		}
		return false
	})
}

func TestReplicationLifecycle(t *testing.T) {
	needPostgres(t)
	dir := shortTempDir(t)
	ctx := ctxT(t)
	p := bootstrapPrimary(t, dir, "n1")
	if err := p.Exec(ctx, "CREATE TABLE t(v int); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	r := cloneReplica(t, dir, "n2", p)
	waitStreaming(t, p, r)
	st, _ := r.Observe(ctx)
	if !st.InRecovery || st.Timeline != 1 || st.ReceiverSlot != "n2" {
		t.Fatalf("replica state %+v", st)
	}

	// Promote n2 while n1 keeps writing: n1's history diverges.
	if err := r.RunPrePromote(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Promote(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.Exec(ctx, "INSERT INTO t SELECT generate_series(1, 1000)"); err != nil {
		t.Fatal(err)
	}
	st, _ = r.Observe(ctx)
	if st.InRecovery || st.Timeline != 2 {
		t.Fatalf("promoted state %+v", st)
	}
	if r.RecoveryConfExists() {
		t.Fatal("standby.signal left after promote")
	}
	if err := r.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	// The source switches WAL segments and stays idle: pg_rewind's minRecoveryPoint then
	// lies past the new segment's header, where only a later record lets us get consistent.
	if err := r.Exec(ctx, "SELECT pg_catalog.pg_switch_wal()"); err != nil {
		t.Fatal(err)
	}

	// Demote n1: stop, check divergence, rewind, follow n2.
	if err := p.Demote(ctx, DemoteOptions{Stop: StopOptions{Mode: StopFast}, Upstream: upstreamOf(t, r), NoStart: true}); err != nil {
		t.Fatal(err)
	}
	if !p.CanRewind(ctx) {
		t.Fatal("rewind must be possible (wal_log_hints on)")
	}
	need, err := p.CheckDivergence(ctx, upstreamOf(t, r))
	if err != nil || !need {
		t.Fatalf("divergence: %v %v", need, err)
	}
	if err := p.Rewind(ctx, upstreamOf(t, r), RewindOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := r.CreatePhysicalSlot(ctx, "n1"); err != nil {
		t.Fatal(err)
	}
	// Generous bound: without a record from the source it takes the next standby snapshot.
	if _, err := p.Follow(ctx, RoleReplica, upstreamOf(t, r), StartOptions{Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	waitStreaming(t, r, p)
	st, _ = p.Observe(ctx)
	if st.Timeline != 2 {
		t.Fatalf("rewound state %+v", st)
	}
	var n int
	if err := p.QueryRow(ctx, "SELECT count(*) FROM t", nil, &n); err != nil || n != 1 {
		t.Fatalf("rewound rows %d %v (the diverged inserts must be gone)", n, err)
	}
	if need, err := p.CheckDivergence(ctx, upstreamOf(t, r)); err != nil || need {
		t.Fatalf("after rewind: need=%v err=%v", need, err)
	}

	// Reinitialize n1 from n2.
	if err := p.Reinitialize(ctx, upstreamOf(t, r), true); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx, StartOptions{Role: RoleReplica, Upstream: upstreamOf(t, r)}); err != nil {
		t.Fatal(err)
	}
	waitStreaming(t, r, p)

	slots, err := r.ReplicationSlots(ctx)
	if err != nil || len(slots) != 1 || slots[0].Name != "n1" || !slots[0].Active {
		t.Fatalf("slots %+v %v", slots, err)
	}
}

func TestFailedBasebackupLeavesNoDataDir(t *testing.T) {
	needPostgres(t)
	old := BasebackupRetryDelay
	BasebackupRetryDelay = 10 * time.Millisecond
	t.Cleanup(func() { BasebackupRetryDelay = old })
	dir := shortTempDir(t)
	ctx := ctxT(t)
	r := newTestServer(t, nodeOptions(dir, "n3", freePort(t)))
	src := &Upstream{Name: "gone", Conn: ConnParams{"host": "127.0.0.1", "port": "1", "dbname": "postgres"}}
	err := r.CreateReplica(ctx, src, false)
	if err == nil {
		t.Fatal("basebackup from nowhere succeeded")
	}
	if _, err := os.Stat(r.DataDir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("data directory left behind: %v", err)
	}
	// Without a source only no_leader methods qualify.
	if err := r.CreateReplica(ctx, nil, false); !errors.Is(err, ErrNoReplicaMethod) {
		t.Fatalf("no source: %v", err)
	}
}

func TestCustomReplicaMethodFallback(t *testing.T) {
	needPostgres(t)
	dir := shortTempDir(t)
	ctx := ctxT(t)
	p := bootstrapPrimary(t, dir, "n1")
	o := nodeOptions(dir, "n2", freePort(t))
	script := filepath.Join(dir, "fail.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nmkdir -p \"$3\" 2>/dev/null; echo \"$@\" > "+dir+"/args; exit 3\n"), 0o755)
	o.CreateReplicaMethods = []string{"broken", "basebackup"}
	o.ReplicaMethods = map[string]ReplicaMethod{"broken": {Command: script, Params: []Param{{"x", "1"}}}}
	r := newTestServer(t, o)
	if err := r.CreateReplica(ctx, upstreamOf(t, p), false); err != nil {
		t.Fatal(err)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	want := "--x=1 --scope=pgtest --role=replica --datadir=" + o.DataDir + " --connstring=dbname=postgres user=replicator host=127.0.0.1 port=" + p.port() + "\n"
	if string(args) != want {
		t.Fatalf("custom method args:\n%s\nwant\n%s", args, want)
	}
	if !fileExists(filepath.Join(o.DataDir, "PG_VERSION")) {
		t.Fatal("basebackup fallback did not create the data directory")
	}
}

func TestSystemIDMismatchRefused(t *testing.T) {
	needPostgres(t)
	dir := shortTempDir(t)
	ctx := ctxT(t)
	a := bootstrapPrimary(t, dir, "a1")
	o := nodeOptions(dir, "b1", freePort(t))
	o.RemoveDataDirectoryOnRewindFailure = true
	o.RemoveDataDirectoryOnDivergedTimelines = true
	b := newTestServer(t, o)
	if err := b.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.PostBootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CheckDivergence(ctx, upstreamOf(t, a)); !errors.Is(err, ErrSystemIDMismatch) {
		t.Fatalf("divergence check: %v", err)
	}
	if err := b.Rewind(ctx, upstreamOf(t, a), RewindOptions{}); !errors.Is(err, ErrSystemIDMismatch) {
		t.Fatalf("rewind: %v", err)
	}
	if !fileExists(filepath.Join(o.DataDir, "PG_VERSION")) {
		t.Fatal("data directory of the other cluster was touched")
	}
}
