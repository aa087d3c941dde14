package pg

import (
	"context"
	"errors"
	"testing"
	"time"
)

func slotByName(t *testing.T, s *Server, name string) *Slot {
	t.Helper()
	slots, err := s.ReplicationSlots(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	for i := range slots {
		if slots[i].Name == name {
			return &slots[i]
		}
	}
	return nil
}

// TestSlotCreateAdvanceDrop covers the primary side: wal_level refusal, logical and
// physical creation, advancing, and dropping only what nobody uses.
func TestSlotCreateAdvanceDrop(t *testing.T) {
	needPostgres(t)
	dir := shortTempDir(t)
	ctx := ctxT(t)
	p := bootstrapPrimary(t, dir, "n1")
	if err := p.CreateLogicalSlot(ctx, "lg", "postgres", "test_decoding"); !errors.Is(err, ErrWalLevelNotLogical) {
		t.Fatalf("logical slot with wal_level replica: %v", err)
	}
	o := p.Options()
	o.Parameters["wal_level"] = "logical"
	if err := p.SetOptions(o); err != nil {
		t.Fatal(err)
	}
	if err := p.Restart(ctx, StopOptions{Mode: StopFast}, StartOptions{Role: RolePrimary}); err != nil {
		t.Fatal(err)
	}
	if err := p.CreateLogicalSlot(ctx, "lg", "postgres", "test_decoding"); err != nil {
		t.Fatal(err)
	}
	if err := p.CreatePhysicalSlot(ctx, "ph"); err != nil {
		t.Fatal(err)
	}
	lg, ph := slotByName(t, p, "lg"), slotByName(t, p, "ph")
	if lg == nil || lg.Type != "logical" || lg.Database != "postgres" || lg.Plugin != "test_decoding" ||
		lg.DatOID == 0 || lg.ConfirmedFlushLSN == 0 || lg.CatalogXmin == "" {
		t.Fatalf("logical slot %+v", lg)
	}
	if ph == nil || ph.Type != "physical" || ph.RestartLSN == 0 || ph.Xmin != "" || ph.WALStatus != "reserved" {
		t.Fatalf("physical slot %+v", ph)
	}
	if err := p.Exec(ctx, "CREATE TABLE t(v int); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	var now int64
	if err := p.QueryRow(ctx, "SELECT pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), '0/0')::bigint", nil, &now); err != nil {
		t.Fatal(err)
	}
	if err := p.AdvanceSlot(ctx, "ph", LSN(now)); err != nil {
		t.Fatal(err)
	}
	if failed := p.AdvanceSlotsInDatabase(ctx, "postgres", map[string]LSN{"lg": LSN(now)}); len(failed) > 0 {
		t.Fatal(failed)
	}
	if got := slotByName(t, p, "ph").RestartLSN; got != LSN(now) {
		t.Fatalf("physical slot at %v, want %v", got, LSN(now))
	}
	if got := slotByName(t, p, "lg").ConfirmedFlushLSN; got != LSN(now) {
		t.Fatalf("logical slot at %v, want %v", got, LSN(now))
	}
	for _, name := range []string{"lg", "ph"} {
		if active, dropped, err := p.DropInactiveSlot(ctx, name); err != nil || active || !dropped {
			t.Fatalf("drop %s: active=%v dropped=%v err=%v", name, active, dropped, err)
		}
	}
	if active, dropped, err := p.DropInactiveSlot(ctx, "lg"); err != nil || active || dropped {
		t.Fatalf("drop of a missing slot: active=%v dropped=%v err=%v", active, dropped, err)
	}
}

// TestSlotsOnReplica: an active slot is never dropped; a replica keeps and advances
// physical slots; a logical slot is copied from the primary's state file and then
// advanced on the replica.
func TestSlotsOnReplica(t *testing.T) {
	needPostgres(t)
	dir := shortTempDir(t)
	ctx := ctxT(t)
	o := nodeOptions(dir, "n1", freePort(t))
	o.Parameters["wal_level"] = "logical"
	p := newTestServer(t, o)
	if err := p.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.PostBootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.CreateLogicalSlot(ctx, "lg", "postgres", "test_decoding"); err != nil {
		t.Fatal(err)
	}
	ro := nodeOptions(dir, "n2", freePort(t))
	ro.Parameters["wal_level"] = "logical" // a logical slot keeps a standby with wal_level replica from starting
	r := newTestServer(t, ro)
	if err := p.CreatePhysicalSlot(ctx, "n2"); err != nil {
		t.Fatal(err)
	}
	if err := r.CreateReplica(ctx, upstreamOf(t, p), false); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx, StartOptions{Role: RoleReplica, Upstream: upstreamOf(t, p)}); err != nil {
		t.Fatal(err)
	}
	waitStreaming(t, p, r)
	if active, dropped, err := p.DropInactiveSlot(ctx, "n2"); err != nil || !active || dropped {
		t.Fatalf("drop of an active slot: active=%v dropped=%v err=%v", active, dropped, err)
	}

	if err := r.CreatePhysicalSlot(ctx, "n1"); err != nil {
		t.Fatal(err)
	}
	if err := p.Exec(ctx, "CREATE TABLE t(v int); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	var changes int
	if err := p.QueryRow(ctx, "SELECT count(*) FROM pg_catalog.pg_logical_slot_get_changes('lg', NULL, NULL)", nil, &changes); err != nil {
		t.Fatal(err)
	}
	waitStreaming(t, p, r)
	target := slotByName(t, p, "lg").ConfirmedFlushLSN

	states, err := r.ReadSlotStates(ctx, upstreamOf(t, p), []string{"lg"})
	if err != nil || len(states) != 1 || states[0].Type != "logical" || states[0].Database != "postgres" ||
		states[0].Plugin != "test_decoding" || len(states[0].Data) == 0 {
		t.Fatalf("slot states %+v %v", states, err)
	}
	if err := r.InstallSlotStates(states); err == nil {
		t.Fatal("installing slot files into a running server must be refused")
	}
	if err := r.Stop(ctx, StopOptions{Mode: StopFast}); err != nil {
		t.Fatal(err)
	}
	if err := r.InstallSlotStates(states); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx, StartOptions{Role: RoleReplica, Upstream: upstreamOf(t, p)}); err != nil {
		t.Fatal(err)
	}
	waitStreaming(t, p, r)
	if lg := slotByName(t, r, "lg"); lg == nil || lg.Type != "logical" || lg.Plugin != "test_decoding" {
		t.Fatalf("copied slot %+v", lg)
	}
	if failed := r.AdvanceSlotsInDatabase(ctx, "postgres", map[string]LSN{"lg": target}); len(failed) > 0 {
		t.Fatal(failed)
	}
	eventually(t, "logical slot advanced on the replica", 10*time.Second, func() bool {
		return slotByName(t, r, "lg").ConfirmedFlushLSN == target
	})
	var replay int64
	if err := r.QueryRow(context.Background(), "SELECT pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_last_wal_replay_lsn(), '0/0')::bigint", nil, &replay); err != nil {
		t.Fatal(err)
	}
	if err := r.AdvanceSlot(ctx, "n1", LSN(replay)); err != nil {
		t.Fatal(err)
	}
	if got := slotByName(t, r, "n1").RestartLSN; got != LSN(replay) {
		t.Fatalf("replica's physical slot at %v, want %v", got, LSN(replay))
	}
}
