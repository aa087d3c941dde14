package ha

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// PermanentSlot is one entry of the dynamic configuration's permanent slots.
type PermanentSlot struct {
	Type        string // "physical", "logical", or "" when the entry is unusable
	Database    string // logical only
	Plugin      string // logical only
	ClusterType string // 4.x physical slots: "primary", "standby" or ""
}

// slotRole is the node's PostgreSQL role as slot management sees it.
type slotRole int

const (
	slotReplica slotRole = iota
	slotPrimary
	slotStandbyLeader
)

func (r slotRole) leads() bool { return r == slotPrimary || r == slotStandbyLeader }

// slotNode is a member as the computation needs it: its name and tags.
type slotNode struct {
	Name          string
	NoFailover    bool
	NoStream      bool
	ReplicateFrom string
}

// slotPolicyValues is the dynamic configuration's slot part, read once per cycle.
type slotPolicyValues struct {
	UseSlots       bool
	MemberSlotsTTL time.Duration
	Permanent      map[string]PermanentSlot
	StandbyCluster bool
}

// slotInput is everything the desired-slot computation looks at.
type slotInput struct {
	View       *cluster.View
	Node       slotNode // this node (its local tags)
	Role       slotRole
	CanAdvance bool // PostgreSQL ≥ 11: pg_replication_slot_advance exists
	Policy     slotPolicyValues
}

// expectation says whether a physical slot should be in use on this node.
type expectation int

const (
	activeUnknown expectation = iota
	activeExpected
	inactiveExpected
)

// wantSlot is a slot this node should have.
type wantSlot struct {
	Type     string // "physical" or "logical"
	Database string
	Plugin   string
	LSN      int64 // where the leader (or a cascading member) has it; 0 when unknown
	Active   expectation
}

var permanentSlotName = regexp.MustCompile(`^[a-z0-9_]{1,63}$`)

// desiredSlots is Patroni 4.1's get_replication_slots: the member slots this node
// keeps, merged with the permanent slots it may have. problems are the errors
// Patroni logs about the configuration (conflicting names, bad entries).
func desiredSlots(in slotInput) (map[string]wantSlot, []string) {
	want, problems := memberSlots(in)
	perm := permanentSlotsFor(in, in.Node, in.Role)
	problems = append(problems, mergePermanent(in, want, perm)...)
	return want, problems
}

func nodeOf(m *cluster.Member) slotNode {
	t := cluster.Tags(m.Tags)
	return slotNode{Name: m.Name, NoFailover: t.NoFailover(), NoStream: t.NoStream(), ReplicateFrom: t.ReplicateFrom()}
}

// memberSlots are the physical slots of other members (Patroni's _get_members_slots).
func memberSlots(in slotInput) (map[string]wantSlot, []string) {
	want := map[string]wantSlot{}
	if !in.Policy.UseSlots || in.View == nil {
		return want, nil
	}
	me, v := in.Node, in.View
	streamsFromMe := func(m slotNode) bool {
		if in.Role.leads() {
			return m.ReplicateFrom == "" || m.ReplicateFrom == me.Name || v.Member(m.ReplicateFrom) == nil
		}
		return m.ReplicateFrom == me.Name && m.Name != v.LeaderName()
	}
	retain := in.CanAdvance && in.Policy.MemberSlotsTTL > 0
	var members []slotNode
	for i := range v.Members {
		m := nodeOf(&v.Members[i])
		if m.Name == me.Name || m.NoStream {
			continue
		}
		if retain && (!me.NoFailover || m.ReplicateFrom == me.Name) || !retain && streamsFromMe(m) {
			members = append(members, m)
		}
	}
	oldLeader := leaderBefore4(v)
	owners := map[string][]string{}
	for _, m := range members {
		name := cluster.SlotName(m.Name)
		owners[name] = append(owners[name], m.Name)
		lsn := v.Status.Slots[name]
		if m.ReplicateFrom != "" || oldLeader {
			// The leader's slot for a cascading member does not move: its own report does.
			if own, ok := v.Member(m.Name).LSN(); ok && own > lsn {
				lsn = own
			}
		}
		act := inactiveExpected
		if streamsFromMe(m) {
			act = activeExpected
		}
		want[name] = wantSlot{Type: "physical", LSN: lsn, Active: act}
	}
	mine := cluster.SlotName(me.Name)
	for _, name := range v.Status.RetainSlots {
		if _, ok := want[name]; !ok && !me.NoFailover && name != mine {
			want[name] = wantSlot{Type: "physical"}
		}
	}
	return want, sharedSlotNames(owners)
}

func sharedSlotNames(owners map[string][]string) []string {
	var parts []string
	for name, ms := range owners {
		if len(ms) > 1 {
			parts = append(parts, strings.Join(ms, ", ")+" map to "+name)
		}
	}
	if len(parts) == 0 {
		return nil
	}
	sort.Strings(parts)
	return []string{"Following cluster members share a replication slot name: " + strings.Join(parts, "; ")}
}

// leaderBefore4: a leader older than Patroni 4 publishes no member slot positions.
func leaderBefore4(v *cluster.View) bool {
	if v.Leader == nil || v.Leader.Member == nil || v.Leader.Member.MemberData.Version == "" {
		return false
	}
	major, err := strconv.Atoi(strings.SplitN(v.Leader.Member.MemberData.Version, ".", 2)[0])
	return err == nil && major < 4
}
