package ha

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/pg"
)

// SlotPolicy is the part of the dynamic configuration slot management needs; the
// daemon's ConfigSource provides it.
type SlotPolicy interface {
	// UseSlots is postgresql.use_slots. Without it no slot is wanted (and unknown
	// slots are still dropped, as Patroni does).
	UseSlots() bool
	// PermanentSlots are the permanent slots (slots / permanent_slots /
	// permanent_replication_slots) by name.
	PermanentSlots() map[string]PermanentSlot
	// MemberSlotsTTL is member_slots_ttl (4.x, default 30 min; 0 disables retention).
	MemberSlotsTTL() time.Duration
	// IgnoredSlot reports slots ignore_slots protects from being dropped.
	IgnoredSlot(name, typ, database, plugin string) bool
}

// slotState is what slot management keeps between cycles.
type slotState struct {
	mu         sync.Mutex
	retain     retainTracker
	hsFeedback bool // hot_standby_feedback forced on
	advancer   logicalAdvancer
}

// syncSlots runs slot management for one cycle (ha-loop.md §18/§20, Patroni 4.1's
// sync_replication_slots).
func (r *Runner) syncSlots(ctx context.Context, v *cluster.View, s *Settings) bool {
	ok, _ := r.syncSlotsGate(ctx, v, s)
	return ok
}

// syncSlotsGate is syncSlots for the SyncSlots gate: it also returns the logical
// slots a replica lacks and has to copy from the primary (CopyLogicalSlots).
func (r *Runner) syncSlotsGate(ctx context.Context, v *cluster.View, s *Settings) (bool, []string) {
	pol, ok := r.d.Config.(SlotPolicy)
	if !ok || !r.d.PG.IsRunning() {
		return true, nil
	}
	v, failsafe := r.slotView(v, s)
	if v == nil || v.Config == nil {
		return true, nil
	}
	in, primary := r.slotInputFor(v, s, pol)
	if !v.HasLock(r.d.Name) {
		r.slotMgr.mu.Lock()
		r.slotMgr.retain.current = false
		r.slotMgr.mu.Unlock()
	}
	want, problems := desiredSlots(in)
	for _, p := range problems {
		r.log.Error(p)
	}
	r.enforceHotStandbyFeedback(ctx, in)
	existing, err := r.d.PG.ReplicationSlots(ctx)
	if err != nil {
		r.log.Warn("cannot list replication slots", "error", err)
		return false, nil
	}
	have := r.dropUnwantedSlots(ctx, existing, want, s.Paused, pol)
	r.dropChangedSlots(ctx, have, want)
	clean := !v.IsUnlocked() && (v.LeaderName() != r.d.Name || primary)
	r.ensurePhysicalSlots(ctx, have, want, clean, in.CanAdvance)
	if primary {
		r.slotMgr.advancer.clean()
		r.ensureLogicalSlotsPrimary(ctx, have, want)
		return true, nil
	}
	missing := r.ensureLogicalSlotsReplica(have, want)
	if failsafe {
		return true, nil // no copying while the DCS is down
	}
	return true, missing
}

// slotView is the view to work from: the last one read when this cycle's read
// failed (the gate then only runs in failsafe mode), with the positions the leader
// sent in POST /failsafe while that is recent.
func (r *Runner) slotView(v *cluster.View, s *Settings) (*cluster.View, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v == nil {
		v = r.view
	}
	fs := r.failsafe
	if v == nil || fs == nil || time.Since(fs.At) >= s.TTL {
		return v, false
	}
	cp := *v
	cp.Status.Slots = r.failSlots
	cp.Leader = &cluster.Leader{Name: fs.Name, Member: v.Member(fs.Name)}
	cp.Members = append([]cluster.Member(nil), v.Members...)
	for i := range cp.Members {
		m := &cp.Members[i]
		if lsn, ok := r.failSlots[m.Name]; ok && cluster.Tags(m.Tags).ReplicateFrom() != "" {
			m.XLogLocation = &lsn
		}
	}
	return &cp, true
}

// slotInputFor describes this node for the slot computation; primary reports a
// server that is not in recovery.
func (r *Runner) slotInputFor(v *cluster.View, s *Settings, pol SlotPolicy) (slotInput, bool) {
	r.mu.Lock()
	primary := r.pgObsOK && !r.pgObs.InRecovery
	role := r.role
	r.mu.Unlock()
	sr := slotReplica
	if primary {
		sr = slotPrimary
	} else if role == cluster.RoleStandbyLeader {
		sr = slotStandbyLeader
	}
	in := slotInput{
		View: v, Role: sr, CanAdvance: pg.CanAdvanceSlots(r.d.PG.Major()),
		Node: slotNode{Name: r.d.Name, NoFailover: s.Tags.NoFailover, NoStream: s.Tags.NoStream, ReplicateFrom: s.Tags.ReplicateFrom},
		Policy: slotPolicyValues{UseSlots: pol.UseSlots(), MemberSlotsTTL: pol.MemberSlotsTTL(),
			Permanent: pol.PermanentSlots(), StandbyCluster: s.StandbyCluster},
	}
	return in, primary
}

// enforceHotStandbyFeedback forces hot_standby_feedback on while this node (or a
// member cascading from it) keeps permanent logical slots as a replica.
func (r *Runner) enforceHotStandbyFeedback(ctx context.Context, in slotInput) {
	need := !in.Policy.StandbyCluster && in.CanAdvance && in.View.Config.IsValid() && needHotStandbyFeedback(in, in.Node)
	r.slotMgr.mu.Lock()
	same := r.slotMgr.hsFeedback == need
	r.slotMgr.hsFeedback = need
	r.slotMgr.mu.Unlock()
	if same {
		return
	}
	r.log.Info("hot_standby_feedback is forced for permanent logical slots", "on", need)
	r.d.PG.SetHotStandbyFeedback(need)
	r.rewritePGConfig(ctx)
}

// dropUnwantedSlots drops slots nobody wants (and wanted ones whose WAL is lost),
// unless paused or ignored; it returns the slots that remain, by name.
func (r *Runner) dropUnwantedSlots(ctx context.Context, existing []pg.Slot, want map[string]wantSlot, paused bool, pol SlotPolicy) map[string]pg.Slot {
	have := make(map[string]pg.Slot, len(existing))
	for _, sl := range existing {
		have[sl.Name] = sl
		_, wanted := want[sl.Name]
		lost := wanted && sl.WALStatus == "lost"
		if wanted && !lost || paused || pol.IgnoredSlot(sl.Name, sl.Type, sl.Database, sl.Plugin) || citusInternal(sl) {
			continue
		}
		if lost {
			r.log.Info("Trying to drop replication slot with wal_status=lost", "slot", sl.Name)
		} else {
			r.log.Info("Trying to drop unknown replication slot", "slot", sl.Name)
		}
		if r.dropSlot(ctx, sl.Name) {
			delete(have, sl.Name)
		}
	}
	return have
}

// citusInternal: Citus' own shard move/split slots (Patroni's Citus handler ignores them).
func citusInternal(sl pg.Slot) bool {
	return sl.Type == "logical" && sl.Plugin == "pgoutput" &&
		(strings.HasPrefix(sl.Name, "citus_shard_move_slot_") || strings.HasPrefix(sl.Name, "citus_shard_split_slot_"))
}

// dropChangedSlots drops wanted slots whose type, database or plugin changed.
func (r *Runner) dropChangedSlots(ctx context.Context, have map[string]pg.Slot, want map[string]wantSlot) {
	for _, name := range sortedKeys(want) {
		sl, ok := have[name]
		if !ok || matchesSlot(want[name], sl) {
			continue
		}
		r.log.Info("Trying to drop replication slot because its type, database or plugin is changing", "slot", name,
			"type", sl.Type, "database", sl.Database, "plugin", sl.Plugin)
		if r.dropSlot(ctx, name) {
			delete(have, name)
		}
	}
}

// dropSlot drops a slot that nobody uses; an active slot is left alone.
func (r *Runner) dropSlot(ctx context.Context, name string) bool {
	active, dropped, err := r.d.PG.DropInactiveSlot(ctx, name)
	switch {
	case dropped:
		r.log.Info("Dropped replication slot", "slot", name)
	case active:
		r.log.Warn("Unable to drop replication slot, slot is active", "slot", name)
	default:
		r.log.Error("Failed to drop replication slot", "slot", name, "error", err)
	}
	return dropped
}

// ensurePhysicalSlots creates missing physical slots and moves the ones nobody
// streams from forward to the position the cluster knows. A slot that is not
// expected to be used but holds an xmin (a former walsender's hot_standby_feedback)
// would hold back vacuum forever: it is dropped and created again.
func (r *Runner) ensurePhysicalSlots(ctx context.Context, have map[string]pg.Slot, want map[string]wantSlot, clean, canAdvance bool) {
	for _, name := range sortedKeys(want) {
		w := want[name]
		if w.Type != "physical" {
			continue
		}
		sl, exists := have[name]
		if canAdvance && exists && clean && w.Active == inactiveExpected && sl.Xmin != "" {
			r.log.Warn("Dropping physical replication slot because of its xmin value", "slot", name, "xmin", sl.Xmin)
			if r.dropSlot(ctx, name) {
				delete(have, name)
				exists = false
			}
		}
		if !exists {
			if err := r.d.PG.CreatePhysicalSlot(ctx, name); err != nil {
				r.log.Error("Failed to create physical replication slot", "slot", name, "error", err)
			}
			continue
		}
		if !canAdvance || w.Active == activeExpected || sl.Xmin != "" {
			continue
		}
		if sl.RestartLSN == 0 {
			r.log.Warn("Dropping physical replication slot because it has no restart_lsn (created by someone else without reserving WAL)", "slot", name)
			r.dropSlot(ctx, name)
			continue
		}
		if w.LSN > int64(sl.RestartLSN) {
			if err := r.d.PG.AdvanceSlot(ctx, name, pg.LSN(w.LSN)); err != nil {
				r.log.Error("Error while advancing replication slot", "slot", name, "lsn", pg.LSN(w.LSN).String(), "error", err)
			}
		}
	}
}

// ensureLogicalSlotsPrimary creates the missing permanent logical slots.
func (r *Runner) ensureLogicalSlotsPrimary(ctx context.Context, have map[string]pg.Slot, want map[string]wantSlot) {
	for _, name := range sortedKeys(want) {
		w := want[name]
		if _, ok := have[name]; ok || w.Type != "logical" {
			continue
		}
		err := r.d.PG.CreateLogicalSlot(ctx, name, w.Database, w.Plugin)
		switch {
		case errors.Is(err, pg.ErrWalLevelNotLogical):
			r.log.Error("Failed to create logical replication slot: set postgresql.parameters.wal_level to logical and restart",
				"slot", name, "plugin", w.Plugin, "error", err)
		case err != nil:
			r.log.Error("Failed to create logical replication slot", "slot", name, "plugin", w.Plugin, "error", err)
		default:
			r.log.Info("Created logical replication slot", "slot", name, "database", w.Database, "plugin", w.Plugin)
		}
	}
}

// ensureLogicalSlotsReplica schedules the advance of existing logical slots to the
// leader's position (never past our replay position) and returns the slots to copy
// from the primary: missing ones the leader reports, and ones that cannot advance.
func (r *Runner) ensureLogicalSlotsReplica(have map[string]pg.Slot, want map[string]wantSlot) []string {
	r.mu.Lock()
	replay := int64(r.pgObs.ReplayedLSN)
	r.mu.Unlock()
	advance := map[string]map[string]int64{}
	var missing []string
	for _, name := range sortedKeys(want) {
		w := want[name]
		if w.Type != "logical" || w.LSN == 0 {
			continue
		}
		sl, ok := have[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		target := min(w.LSN, replay)
		if matchesSlot(w, sl) && int64(sl.ConfirmedFlushLSN) < target {
			if advance[w.Database] == nil {
				advance[w.Database] = map[string]int64{}
			}
			advance[w.Database][name] = target
		}
	}
	_, broken := r.slotMgr.advancer.schedule(advance, r.d.PG.AdvanceSlotsInDatabase, r.log)
	return append(missing, broken...)
}

// statusFor is the /status value the leader writes: its WAL position, the positions
// of its slots, and the member slots to retain.
func (r *Runner) statusFor(ctx context.Context, lsn int64) cluster.Status {
	st := cluster.Status{Optime: lsn}
	in, ok := r.leaderSlotInput()
	if !ok {
		return st
	}
	st.Slots = r.leaderSlots(ctx, in, lsn)
	r.slotMgr.mu.Lock()
	defer r.slotMgr.mu.Unlock()
	st.RetainSlots = r.slotMgr.retain.build(in, st.Slots, time.Now(), func(name string) {
		r.log.Info("Replication slot for absent cluster member is expired", "slot", name, "member_slots_ttl", in.Policy.MemberSlotsTTL)
	})
	return st
}

// failsafeSlots are the positions a leader sends with POST /failsafe, so replicas
// can advance their slots while the DCS is down (the map /status slots carries).
func (r *Runner) failsafeSlots(ctx context.Context, lsn int64) map[string]int64 {
	in, ok := r.leaderSlotInput()
	if !ok {
		return map[string]int64{cluster.SlotName(r.d.Name): lsn}
	}
	return r.leaderSlots(ctx, in, lsn)
}

func (r *Runner) leaderSlotInput() (slotInput, bool) {
	pol, ok := r.d.Config.(SlotPolicy)
	r.mu.Lock()
	v, s := r.view, r.settings
	r.mu.Unlock()
	if !ok || v == nil {
		return slotInput{}, false
	}
	in, _ := r.slotInputFor(v, &s, pol)
	return in, true
}

func (r *Runner) leaderSlots(ctx context.Context, in slotInput, lsn int64) map[string]int64 {
	if !in.CanAdvance {
		return nil
	}
	existing, err := r.d.PG.ReplicationSlots(ctx)
	if err != nil {
		r.log.Warn("cannot list replication slots", "error", err)
	}
	return publishedSlots(in, existing, lsn)
}
