package ha

import (
	"context"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/pg"
)

// copyLogicalSlots is the CopyLogicalSlots task (Patroni's copy_logical_slots): a
// replica (PostgreSQL < 17 cannot create logical slots in recovery) reads the named
// slots' state files from the primary, stops, installs them, and starts again; the
// slots are then advanced like any other. Only slots whose configuration matches the
// primary's slot are copied.
func (r *Runner) copyLogicalSlots(ctx context.Context, v *cluster.View, s Settings, names []string) bool {
	pol, ok := r.d.Config.(SlotPolicy)
	if !ok || v == nil || v.IsUnlocked() || len(names) == 0 {
		return false
	}
	leader := r.upstream(v, v.LeaderName(), false)
	if leader == nil {
		return false
	}
	in, _ := r.slotInputFor(v, &s, pol)
	in.Role = slotReplica
	want, _ := desiredSlots(in)
	states, err := r.d.PG.ReadSlotStates(ctx, leader, names)
	if err != nil {
		r.log.Error("Failed to copy logical slots from the primary via postgresql connection", "leader", v.LeaderName(), "error", err)
		return false
	}
	var copyable []pg.SlotState
	for _, st := range states {
		w, ok := want[st.Name]
		if !ok {
			continue
		}
		if !matchesSlot(w, pg.Slot{Type: st.Type, Database: st.Database, Plugin: st.Plugin}) {
			r.log.Warn("Will not copy the logical slot due to the configuration mismatch", "slot", st.Name,
				"database", w.Database, "plugin", w.Plugin, "primary_database", st.Database, "primary_plugin", st.Plugin)
			continue
		}
		copyable = append(copyable, st)
	}
	if len(copyable) == 0 {
		return true
	}
	return r.installSlotsAndRestart(ctx, v, s, copyable)
}

// installSlotsAndRestart stops PostgreSQL, writes the slot files and starts it again
// following the member it followed before.
func (r *Runner) installSlotsAndRestart(ctx context.Context, v *cluster.View, s Settings, states []pg.SlotState) bool {
	r.setState("stopping")
	if err := r.d.PG.Stop(ctx, pg.StopOptions{Mode: pg.StopFast, Timeout: stopTimeout(s)}); err != nil {
		r.log.Error("cannot stop PostgreSQL to copy logical slots", "error", err)
		return false
	}
	r.slotMgr.advancer.clean()
	names := make([]string, 0, len(states))
	for _, st := range states {
		names = append(names, st.Name)
	}
	ok := true
	if err := r.d.PG.InstallSlotStates(states); err != nil {
		r.log.Error("Failed to install logical slots copied from the primary", "slots", names, "error", err)
		ok = false
	} else {
		r.log.Info("Copied logical slots from the primary", "slots", names)
	}
	r.mu.Lock()
	following := r.following
	r.mu.Unlock()
	so := pg.StartOptions{Role: pg.RoleReplica, Upstream: r.upstream(v, following, following == RemoteMember)}
	r.setState("starting")
	if err := r.d.PG.Start(ctx, so); err != nil {
		r.log.Error("failed to start PostgreSQL after copying logical slots", "error", err)
		return false
	}
	r.setState("running")
	return ok
}
