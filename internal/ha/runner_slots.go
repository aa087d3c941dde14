package ha

import (
	"context"
	"strings"

	"github.com/patroni-go/patroni/internal/cluster"
)

// SlotPolicy is the part of the dynamic configuration slot management needs; the
// daemon's ConfigSource may provide it (permanent slots, ignore rules, use_slots).
type SlotPolicy interface {
	UseSlots() bool
	// PermanentPhysicalSlots lists permanent physical slot names.
	PermanentPhysicalSlots() []string
	// IgnoredSlot reports slots ignore_slots protects from being dropped.
	IgnoredSlot(name, typ, database, plugin string) bool
}

// syncSlots creates the physical slots of the members that stream from us and drops
// physical slots nobody needs (ha-loop.md §18). Logical slots are left alone.
func (r *Runner) syncSlots(ctx context.Context, v *cluster.View, s *Settings) bool {
	pol, ok := r.d.Config.(SlotPolicy)
	if !ok || !pol.UseSlots() || v == nil || !r.d.PG.IsRunning() {
		return true
	}
	r.mu.Lock()
	primary := r.pgObsOK && !r.pgObs.InRecovery
	r.mu.Unlock()
	want := map[string]bool{}
	for _, m := range v.Members {
		if m.Name == r.d.Name || cluster.Tags(m.Tags).NoStream() {
			continue
		}
		from := cluster.Tags(m.Tags).ReplicateFrom()
		streamsFromMe := from == r.d.Name || (primary && (from == "" || v.Member(from) == nil))
		if streamsFromMe {
			want[cluster.SlotName(m.Name)] = true
		}
	}
	if !s.Tags.NoFailover {
		for _, name := range pol.PermanentPhysicalSlots() {
			if name != cluster.SlotName(r.d.Name) {
				want[name] = true
			}
		}
	}
	existing, err := r.d.PG.ReplicationSlots(ctx)
	if err != nil {
		r.log.Warn("cannot list replication slots", "error", err)
		return false
	}
	have := map[string]bool{}
	for _, sl := range existing {
		have[sl.Name] = true
		if sl.Type != "physical" || want[sl.Name] || s.Paused || sl.Active {
			continue
		}
		if pol.IgnoredSlot(sl.Name, sl.Type, sl.Database, sl.Plugin) || strings.HasPrefix(sl.Name, "citus_") {
			continue
		}
		if err := r.d.PG.DropSlot(ctx, sl.Name); err != nil {
			r.log.Warn("failed to drop replication slot", "slot", sl.Name, "error", err)
		} else {
			r.log.Info("Dropped unknown replication slot", "slot", sl.Name)
		}
	}
	for name := range want {
		if have[name] {
			continue
		}
		if err := r.d.PG.CreatePhysicalSlot(ctx, name); err != nil {
			r.log.Warn("failed to create replication slot", "slot", name, "error", err)
		}
	}
	return true
}

// statusSlots are the permanent slots' positions the leader publishes in /status,
// plus its own member slot at its WAL position.
func (r *Runner) statusSlots(ctx context.Context, lsn int64) map[string]int64 {
	pol, ok := r.d.Config.(SlotPolicy)
	if !ok || !pol.UseSlots() {
		return nil
	}
	perm := pol.PermanentPhysicalSlots()
	if len(perm) == 0 {
		return nil
	}
	out := map[string]int64{}
	slots, err := r.d.PG.ReplicationSlots(ctx)
	if err != nil {
		return nil
	}
	keep := map[string]bool{}
	for _, p := range perm {
		keep[p] = true
	}
	for _, sl := range slots {
		if keep[sl.Name] && sl.Type == "physical" {
			out[sl.Name] = int64(sl.RestartLSN)
		}
	}
	if me := cluster.SlotName(r.d.Name); keep[me] {
		out[me] = lsn
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
