package ha

import (
	"fmt"

	"github.com/patroni-go/patroni/internal/cluster"
)

// permEntry is a permanent slot with the position the cluster knows for it.
type permEntry struct {
	PermanentSlot
	LSN int64
}

// allPermanent are the configured permanent slots with their known LSN: the leader's
// /status value or, for a physical slot named like a cascading member, that member's
// own report when it is further.
func allPermanent(in slotInput) map[string]permEntry {
	out := make(map[string]permEntry, len(in.Policy.Permanent))
	cascading := map[string]int64{}
	if in.View != nil {
		for i := range in.View.Members {
			m := &in.View.Members[i]
			if cluster.Tags(m.Tags).ReplicateFrom() != "" {
				lsn, _ := m.LSN()
				cascading[cluster.SlotName(m.Name)] = lsn
			}
		}
	}
	for name, p := range in.Policy.Permanent {
		e := permEntry{PermanentSlot: p}
		if in.View != nil {
			e.LSN = in.View.Status.Slots[name]
		}
		if p.Type == "physical" && cascading[name] > e.LSN {
			e.LSN = cascading[name]
		}
		out[name] = e
	}
	return out
}

// physicalPermanent are the permanent physical slots of this kind of cluster
// (cluster_type "primary" or "standby" limits a slot to one kind).
func physicalPermanent(in slotInput) map[string]permEntry {
	out := map[string]permEntry{}
	for name, e := range allPermanent(in) {
		if e.Type != "physical" {
			continue
		}
		if in.Policy.StandbyCluster && e.ClusterType != "primary" || !in.Policy.StandbyCluster && e.ClusterType != "standby" {
			out[name] = e
		}
	}
	return out
}

// permanentSlotsFor is Patroni's _get_permanent_slots for node in role. A node that
// never becomes leader has none; a node without a slot on the primary (nostream, or
// cascading from a nostream member) and a standby cluster only physical ones, since a
// logical slot is only safe where feedback reaches the primary.
func permanentSlotsFor(in slotInput, node slotNode, role slotRole) map[string]permEntry {
	if !in.Policy.UseSlots || node.NoFailover {
		return nil
	}
	if _, streams := slotNameOnPrimary(in.View, node); in.Policy.StandbyCluster || !streams {
		if in.CanAdvance || role == slotStandbyLeader {
			return physicalPermanent(in)
		}
		return nil
	}
	all := allPermanent(in)
	if in.CanAdvance || role == slotPrimary {
		return all
	}
	for name, e := range all {
		if e.Type != "logical" {
			delete(all, name)
		}
	}
	return all
}

// mergePermanent adds the permanent slots to the member slots (member slots win a
// name clash) and returns the configuration errors found.
func mergePermanent(in slotInput, want map[string]wantSlot, perm map[string]permEntry) []string {
	var problems, disabled []string
	mine := cluster.SlotName(in.Node.Name)
	cascades := map[string]bool{} // slot names of members that cascade
	if in.View != nil {
		for i := range in.View.Members {
			m := &in.View.Members[i]
			if cluster.Tags(m.Tags).ReplicateFrom() != "" {
				cascades[cluster.SlotName(m.Name)] = true
			}
		}
	}
	for _, name := range sortedKeys(perm) {
		e := perm[name]
		switch {
		case !permanentSlotName.MatchString(name):
			problems = append(problems, fmt.Sprintf("Invalid permanent replication slot name '%s': slot name may only contain lower case letters, numbers, and the underscore chars", name))
		case e.Type == "physical":
			if _, ok := want[name]; !ok && name != mine {
				// On the leader a permanent slot is in use, unless it belongs to a cascading member.
				act := inactiveExpected
				if !cascades[name] && in.Role.leads() {
					act = activeExpected
				}
				want[name] = wantSlot{Type: "physical", LSN: e.LSN, Active: act}
			}
		case e.Type == "logical":
			if !in.CanAdvance {
				disabled = append(disabled, name)
			} else if _, ok := want[name]; ok {
				problems = append(problems, fmt.Sprintf("Permanent logical replication slot '%s' is conflicting with physical replication slot for cluster member", name))
			} else {
				want[name] = wantSlot{Type: "logical", Database: e.Database, Plugin: e.Plugin, LSN: e.LSN}
			}
		default:
			problems = append(problems, fmt.Sprintf("Bad value for slot '%s' in permanent_slots", name))
		}
	}
	if len(disabled) > 0 {
		problems = append(problems, fmt.Sprintf("Permanent logical replication slots supported by Patroni only starting from PostgreSQL 11. Following slots will not be created: %v.", disabled))
	}
	return problems
}

// slotNameOnPrimary follows replicatefrom from node to the member that streams from
// the primary and returns that member's slot name; false when the chain has a
// nostream member or a loop (no feedback reaches the primary).
func slotNameOnPrimary(v *cluster.View, node slotNode) (string, bool) {
	seen := map[string]bool{}
	for {
		seen[node.Name] = true
		if node.NoStream {
			return "", false
		}
		var up *cluster.Member
		if node.ReplicateFrom != "" && node.ReplicateFrom != node.Name && v != nil {
			up = v.Member(node.ReplicateFrom)
		}
		if up == nil {
			return cluster.SlotName(node.Name), true
		}
		if seen[up.Name] {
			return "", false
		}
		node = nodeOf(up)
	}
}

// needHotStandbyFeedback: this node (as a replica) keeps permanent logical slots, or
// a member cascading from it does; their catalog_xmin must reach the primary.
func needHotStandbyFeedback(in slotInput, node slotNode) bool {
	return hotStandbyFeedbackFor(in, node, map[string]bool{})
}

func hotStandbyFeedbackFor(in slotInput, node slotNode, seen map[string]bool) bool {
	if seen[node.Name] {
		return false
	}
	seen[node.Name] = true
	sub := in
	sub.Node, sub.Role = node, slotReplica
	want, _ := desiredSlots(sub)
	for _, w := range want {
		if w.Type == "logical" {
			return true
		}
	}
	if _, streams := slotNameOnPrimary(in.View, node); !in.Policy.UseSlots || in.View == nil || !streams {
		return false
	}
	for i := range in.View.Members {
		m := nodeOf(&in.View.Members[i])
		if m.ReplicateFrom == node.Name && m.Name != in.View.LeaderName() && hotStandbyFeedbackFor(in, m, seen) {
			return true
		}
	}
	return false
}
