package ha

import (
	"slices"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/pg"
)

// matchesSlot: an existing slot is the kind of slot wanted (logical: same database
// and plugin); otherwise it has to be dropped and created again.
func matchesSlot(w wantSlot, sl pg.Slot) bool {
	return w.Type == sl.Type && (w.Type == "physical" || w.Database == sl.Database && w.Plugin == sl.Plugin)
}

// publishedSlots is the /status "slots" map the leader writes: the positions of the
// slots it manages (physical restart_lsn, logical confirmed_flush_lsn) and its own
// slot name at lsn, its WAL position. Replicas advance their copies to these values.
// With member_slots_ttl 0 only permanent slots are published. Empty before PG 11.
func publishedSlots(in slotInput, existing []pg.Slot, lsn int64) map[string]int64 {
	if !in.CanAdvance {
		return nil
	}
	want, _ := desiredSlots(in)
	out := map[string]int64{}
	for _, sl := range existing {
		w, ok := want[sl.Name]
		if !ok || !matchesSlot(w, sl) {
			continue
		}
		pos := sl.RestartLSN
		if sl.Type == "logical" {
			pos = sl.ConfirmedFlushLSN
		}
		if pos > 0 {
			out[sl.Name] = int64(pos)
		}
	}
	out[cluster.SlotName(in.Node.Name)] = lsn
	if in.Policy.MemberSlotsTTL <= 0 {
		filterPermanent(in, out)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// filterPermanent keeps the permanent slots a replica could have (a logical one
// only when no member slot has its name).
func filterPermanent(in slotInput, slots map[string]int64) {
	perm := permanentSlotsFor(in, slotNode{}, slotReplica)
	members := map[string]bool{}
	if in.View != nil {
		for i := range in.View.Members {
			members[cluster.SlotName(in.View.Members[i].Name)] = true
		}
	}
	for name := range slots {
		e, ok := perm[name]
		if !ok || e.Type == "logical" && members[name] || e.Type != "physical" && e.Type != "logical" {
			delete(slots, name)
		}
	}
}

// retainTracker is the leader's memory of member slots (4.x retain_slots): a member
// slot stays wanted on every node for member_slots_ttl after it was last seen, so
// WAL is kept for a member whose key expired.
type retainTracker struct {
	seen map[string]time.Time
	// current: the timers are ours; false after a cycle without the lock, and the
	// next leadership starts them again from the /status we read.
	current bool
}

// build updates the timers from the slots the leader publishes and returns the
// sorted names to write, nil when none; expired names are passed to expired.
func (t *retainTracker) build(in slotInput, published map[string]int64, now time.Time, expired func(string)) []string {
	if !t.current {
		t.seen = map[string]time.Time{}
		if in.View != nil {
			for _, name := range in.View.Status.RetainSlots {
				t.seen[name] = now
			}
		}
		t.current = true
	}
	if len(published) > 0 {
		members, perm := retainCandidates(in), physicalPermanent(in)
		for name := range published {
			if _, permanent := perm[name]; members[name] && !permanent {
				t.seen[name] = now
			}
		}
	}
	for name, at := range t.seen {
		if !at.Add(in.Policy.MemberSlotsTTL).After(now) {
			delete(t.seen, name)
			if expired != nil {
				expired(name)
			}
		}
	}
	if len(t.seen) == 0 {
		return nil
	}
	out := make([]string, 0, len(t.seen))
	for name := range t.seen {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// retainCandidates are the slot names of streaming members, and ours unless our
// member key says nostream.
func retainCandidates(in slotInput) map[string]bool {
	out := map[string]bool{}
	self := false
	if in.View != nil {
		for i := range in.View.Members {
			m := &in.View.Members[i]
			if !cluster.Tags(m.Tags).NoStream() {
				out[cluster.SlotName(m.Name)] = true
			}
			self = self || m.Name == in.Node.Name
		}
	}
	if !self {
		out[cluster.SlotName(in.Node.Name)] = true
	}
	return out
}

// sameStatus: nothing /status carries changed (Patroni writes only on change).
func sameStatus(a *cluster.Status, b cluster.Status) bool {
	return a != nil && a.Optime == b.Optime && equalSlots(a.Slots, b.Slots) && slices.Equal(a.RetainSlots, b.RetainSlots)
}
