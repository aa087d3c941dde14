package ha

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/pg"
)

func lsnPtr(v int64) *int64 { return &v }

type memberSpec struct {
	name string
	tags map[string]any
	lsn  int64
}

func slotView(leader string, status cluster.Status, ms ...memberSpec) *cluster.View {
	v := &cluster.View{Config: &cluster.Config{ModifyVersion: 1}, Status: status}
	for _, m := range ms {
		mem := cluster.Member{Name: m.name}
		mem.Tags = m.tags
		if m.lsn > 0 {
			mem.XLogLocation = lsnPtr(m.lsn)
		}
		v.Members = append(v.Members, mem)
	}
	if leader != "" {
		v.Leader = &cluster.Leader{Name: leader, Member: v.Member(leader)}
	}
	return v
}

// The permanent_slots acceptance cluster: postgres-2 is nofailover, postgres-3
// cascades from it.
func acceptanceView(status cluster.Status) *cluster.View {
	return slotView("postgres-0", status,
		memberSpec{name: "postgres-0"},
		memberSpec{name: "postgres-1"},
		memberSpec{name: "postgres-2", tags: map[string]any{"nofailover": true}},
		memberSpec{name: "postgres-3", tags: map[string]any{"replicatefrom": "postgres-2"}, lsn: 900},
	)
}

func defaultPolicy(perm map[string]PermanentSlot) slotPolicyValues {
	return slotPolicyValues{UseSlots: true, MemberSlotsTTL: 30 * time.Minute, Permanent: perm}
}

var acceptancePermanent = map[string]PermanentSlot{
	"test_physical": {Type: "physical"},
	"postgres_3":    {Type: "physical"},
	"test_logical":  {Type: "logical", Database: "postgres", Plugin: "test_decoding"},
}

func nodeFrom(v *cluster.View, name string) slotNode {
	if m := v.Member(name); m != nil {
		return nodeOf(m)
	}
	return slotNode{Name: name}
}

// describeSlots renders wanted slots compactly: name:type[:A|I] (A active, I inactive expected).
func describeSlots(want map[string]wantSlot) []string {
	var out []string
	for _, name := range sortedKeys(want) {
		w := want[name]
		s := name + ":" + w.Type[:1]
		switch w.Active {
		case activeExpected:
			s += ":A"
		case inactiveExpected:
			s += ":I"
		}
		out = append(out, s)
	}
	return out
}

func TestDesiredSlots(t *testing.T) {
	status := cluster.Status{Slots: map[string]int64{"postgres_3": 500, "test_logical": 700}}
	acc := acceptanceView(status)
	nostream := slotView("postgres-0", cluster.Status{},
		memberSpec{name: "postgres-0"},
		memberSpec{name: "postgres-1", tags: map[string]any{"nostream": "true"}},
		memberSpec{name: "postgres-2", tags: map[string]any{"replicatefrom": "postgres-1"}},
	)
	withRetain := acceptanceView(cluster.Status{RetainSlots: []string{"gone_member", "postgres_1"}})
	logicalPerm := map[string]PermanentSlot{"test_logical": {Type: "logical", Database: "postgres", Plugin: "test_decoding"}}
	noTTL := defaultPolicy(acceptancePermanent)
	noTTL.MemberSlotsTTL = 0
	standby := defaultPolicy(map[string]PermanentSlot{
		"both": {Type: "physical"}, "only_primary": {Type: "physical", ClusterType: "primary"},
		"only_standby": {Type: "physical", ClusterType: "standby"}, "lg": logicalPerm["test_logical"],
	})
	standby.StandbyCluster = true
	cases := []struct {
		name     string
		v        *cluster.View
		me       string
		role     slotRole
		old      bool // PostgreSQL < 11
		policy   slotPolicyValues
		want     []string
		problems []string
	}{
		{name: "primary keeps every member and the permanent slots", v: acc, me: "postgres-0", role: slotPrimary,
			policy: defaultPolicy(acceptancePermanent),
			want:   []string{"postgres_1:p:A", "postgres_2:p:A", "postgres_3:p:I", "test_logical:l", "test_physical:p:A"}},
		{name: "replica keeps slots of all other members", v: acc, me: "postgres-1", role: slotReplica,
			policy: defaultPolicy(acceptancePermanent),
			want:   []string{"postgres_0:p:I", "postgres_2:p:I", "postgres_3:p:I", "test_logical:l", "test_physical:p:I"}},
		{name: "nofailover node only for members cascading from it", v: acc, me: "postgres-2", role: slotReplica,
			policy: defaultPolicy(acceptancePermanent), want: []string{"postgres_3:p:A"}},
		{name: "cascading replica gets logical slots too", v: acc, me: "postgres-3", role: slotReplica,
			policy: defaultPolicy(acceptancePermanent),
			want:   []string{"postgres_0:p:I", "postgres_1:p:I", "postgres_2:p:I", "test_logical:l", "test_physical:p:I"}},
		{name: "no slot for a nostream member on the primary", v: nostream, me: "postgres-0", role: slotPrimary,
			policy: defaultPolicy(logicalPerm), want: []string{"postgres_2:p:I", "test_logical:l"}},
		{name: "nostream node has no logical slots", v: nostream, me: "postgres-1", role: slotReplica,
			policy: defaultPolicy(logicalPerm), want: []string{"postgres_0:p:I", "postgres_2:p:A"}},
		{name: "nor a node cascading from a nostream node", v: nostream, me: "postgres-2", role: slotReplica,
			policy: defaultPolicy(logicalPerm), want: []string{"postgres_0:p:I"}},
		{name: "retained slots on replicas", v: withRetain, me: "postgres-1", role: slotReplica,
			policy: defaultPolicy(nil),
			want:   []string{"gone_member:p", "postgres_0:p:I", "postgres_2:p:I", "postgres_3:p:I"}},
		{name: "no retained slots on a nofailover node", v: withRetain, me: "postgres-2", role: slotReplica,
			policy: defaultPolicy(nil), want: []string{"postgres_3:p:A"}},
		{name: "member_slots_ttl 0: primary only for its streaming members", v: acc, me: "postgres-0", role: slotPrimary,
			policy: noTTL, want: []string{"postgres_1:p:A", "postgres_2:p:A", "postgres_3:p:I", "test_logical:l", "test_physical:p:A"}},
		{name: "member_slots_ttl 0: replica only for members cascading from it", v: acc, me: "postgres-1", role: slotReplica,
			policy: noTTL, want: []string{"postgres_3:p:I", "test_logical:l", "test_physical:p:I"}},
		{name: "PostgreSQL 10 replica: members cascading from it, no permanent slots", v: acc, me: "postgres-2", role: slotReplica,
			old: true, policy: defaultPolicy(acceptancePermanent), want: []string{"postgres_3:p:A"}},
		{name: "PostgreSQL 10 primary: logical slots disabled", v: acc, me: "postgres-0", role: slotPrimary, old: true,
			policy: defaultPolicy(acceptancePermanent),
			want:   []string{"postgres_1:p:A", "postgres_2:p:A", "postgres_3:p:I", "test_physical:p:A"},
			problems: []string{"Permanent logical replication slots supported by Patroni only starting from PostgreSQL 11. " +
				"Following slots will not be created: [test_logical]."}},
		{name: "use_slots off wants nothing", v: acc, me: "postgres-0", role: slotPrimary,
			policy: slotPolicyValues{MemberSlotsTTL: time.Hour, Permanent: acceptancePermanent}},
		{name: "standby cluster: physical slots of its kind only", v: acc, me: "postgres-0", role: slotStandbyLeader,
			policy: standby, want: []string{"both:p:A", "only_standby:p:A", "postgres_1:p:A", "postgres_2:p:A", "postgres_3:p:I"}},
		{name: "bad permanent entries are reported", v: acc, me: "postgres-1", role: slotReplica,
			policy: defaultPolicy(map[string]PermanentSlot{"Bad-Name": {Type: "physical"}, "broken": {},
				"postgres_0": {Type: "logical", Database: "postgres", Plugin: "test_decoding"}}),
			want: []string{"postgres_0:p:I", "postgres_2:p:I", "postgres_3:p:I"},
			problems: []string{"Invalid permanent replication slot name 'Bad-Name': slot name may only contain lower case letters, numbers, and the underscore chars",
				"Bad value for slot 'broken' in permanent_slots",
				"Permanent logical replication slot 'postgres_0' is conflicting with physical replication slot for cluster member"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := slotInput{View: c.v, Node: nodeFrom(c.v, c.me), Role: c.role, CanAdvance: !c.old, Policy: c.policy}
			want, problems := desiredSlots(in)
			if got := describeSlots(want); !slices.Equal(got, c.want) {
				t.Errorf("slots\n got %v\nwant %v", got, c.want)
			}
			if !slices.Equal(problems, c.problems) {
				t.Errorf("problems\n got %q\nwant %q", problems, c.problems)
			}
		})
	}
}

func TestDesiredSlotPositions(t *testing.T) {
	v := acceptanceView(cluster.Status{Slots: map[string]int64{"postgres_0": 1000, "postgres_3": 500, "test_physical": 800, "test_logical": 700}})
	in := slotInput{View: v, Node: nodeFrom(v, "postgres-1"), CanAdvance: true, Policy: defaultPolicy(acceptancePermanent)}
	want, _ := desiredSlots(in)
	got := map[string]int64{}
	for name, w := range want {
		got[name] = w.LSN
	}
	// postgres-3 cascades: its own report (900) beats the leader's inactive slot (500).
	exp := map[string]int64{"postgres_0": 1000, "postgres_2": 0, "postgres_3": 900, "test_physical": 800, "test_logical": 700}
	if !maps.Equal(got, exp) {
		t.Fatalf("positions %v, want %v", got, exp)
	}
	if w := want["test_logical"]; w.Database != "postgres" || w.Plugin != "test_decoding" {
		t.Fatalf("logical slot %+v", w)
	}
	// A Patroni 3 leader publishes no member positions: the members' reports count.
	v.Leader.Member.MemberData.Version = "3.3.1"
	v.Members[0].XLogLocation = lsnPtr(1200)
	want, _ = desiredSlots(in)
	if want["postgres_0"].LSN != 1200 {
		t.Fatalf("postgres_0 at %d under an old leader", want["postgres_0"].LSN)
	}
}

func TestNeedHotStandbyFeedback(t *testing.T) {
	acc := acceptanceView(cluster.Status{})
	nostream := slotView("postgres-0", cluster.Status{},
		memberSpec{name: "postgres-0"},
		memberSpec{name: "postgres-1", tags: map[string]any{"nostream": true}},
	)
	loop := slotView("postgres-0", cluster.Status{},
		memberSpec{name: "postgres-0"},
		memberSpec{name: "postgres-1", tags: map[string]any{"replicatefrom": "postgres-1"}},
	)
	cases := []struct {
		v    *cluster.View
		me   string
		perm map[string]PermanentSlot
		want bool
	}{
		{acc, "postgres-1", acceptancePermanent, true},
		{acc, "postgres-2", acceptancePermanent, true}, // postgres-3 cascades from it and keeps logical slots
		{acc, "postgres-1", map[string]PermanentSlot{"p": {Type: "physical"}}, false},
		{nostream, "postgres-1", acceptancePermanent, false},
		{loop, "postgres-1", map[string]PermanentSlot{"p": {Type: "physical"}}, false},
	}
	for i, c := range cases {
		in := slotInput{View: c.v, Node: nodeFrom(c.v, c.me), CanAdvance: true, Policy: defaultPolicy(c.perm)}
		if got := needHotStandbyFeedback(in, in.Node); got != c.want {
			t.Errorf("case %d (%s): got %v", i, c.me, got)
		}
	}
}

func TestPublishedSlots(t *testing.T) {
	v := acceptanceView(cluster.Status{})
	existing := []pg.Slot{
		{Name: "postgres_1", Type: "physical", RestartLSN: 100},
		{Name: "postgres_2", Type: "physical", RestartLSN: 0}, // not reserved: nothing to publish
		{Name: "postgres_3", Type: "physical", RestartLSN: 90},
		{Name: "test_physical", Type: "physical", RestartLSN: 80},
		{Name: "test_logical", Type: "logical", Database: "postgres", Plugin: "test_decoding", ConfirmedFlushLSN: 70, RestartLSN: 60},
		{Name: "stranger", Type: "physical", RestartLSN: 50},
	}
	in := slotInput{View: v, Node: nodeFrom(v, "postgres-0"), Role: slotPrimary, CanAdvance: true, Policy: defaultPolicy(acceptancePermanent)}
	got := publishedSlots(in, existing, 1000)
	exp := map[string]int64{"postgres_0": 1000, "postgres_1": 100, "postgres_3": 90, "test_physical": 80, "test_logical": 70}
	if !maps.Equal(got, exp) {
		t.Fatalf("published %v, want %v", got, exp)
	}
	in.Policy.MemberSlotsTTL = 0
	got = publishedSlots(in, existing, 1000)
	exp = map[string]int64{"postgres_3": 90, "test_physical": 80, "test_logical": 70}
	if !maps.Equal(got, exp) {
		t.Fatalf("published without member slots %v, want %v", got, exp)
	}
	in.CanAdvance = false
	if got := publishedSlots(in, existing, 1000); got != nil {
		t.Fatalf("PostgreSQL 10 publishes %v", got)
	}
}

func TestRetainSlots(t *testing.T) {
	v := acceptanceView(cluster.Status{RetainSlots: []string{"old_member"}})
	in := slotInput{View: v, Node: nodeFrom(v, "postgres-0"), Role: slotPrimary, CanAdvance: true, Policy: defaultPolicy(acceptancePermanent)}
	in.Policy.MemberSlotsTTL = time.Minute
	var tr retainTracker
	t0 := time.Unix(1000, 0)
	published := map[string]int64{"postgres_0": 1, "postgres_1": 1, "postgres_2": 1, "postgres_3": 1, "test_physical": 1, "test_logical": 1}
	got := tr.build(in, published, t0, nil)
	// postgres_3 is a permanent slot; the leader's read of /status starts old_member's timer.
	if exp := []string{"old_member", "postgres_0", "postgres_1", "postgres_2"}; !slices.Equal(got, exp) {
		t.Fatalf("retain %v, want %v", got, exp)
	}
	var expired []string
	got = tr.build(in, map[string]int64{"postgres_0": 1, "postgres_1": 1}, t0.Add(time.Minute), func(n string) { expired = append(expired, n) })
	slices.Sort(expired)
	if !slices.Equal(got, []string{"postgres_0", "postgres_1"}) || !slices.Equal(expired, []string{"old_member", "postgres_2"}) {
		t.Fatalf("after the ttl: retain %v, expired %v", got, expired)
	}
	in.Policy.MemberSlotsTTL = 0
	if got := tr.build(in, published, t0.Add(2*time.Minute), nil); got != nil {
		t.Fatalf("member_slots_ttl 0 retains %v", got)
	}
}

func TestSameStatus(t *testing.T) {
	a := cluster.Status{Optime: 1, Slots: map[string]int64{"a": 1}, RetainSlots: []string{"a"}}
	b := a
	if !sameStatus(&a, b) || sameStatus(nil, b) {
		t.Fatal("equal status")
	}
	b.RetainSlots = []string{"a", "b"}
	if sameStatus(&a, b) {
		t.Fatal("a retain_slots change must be written")
	}
}

func TestLogicalAdvancer(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	calls := make(chan map[string]pg.LSN, 4)
	do := func(_ context.Context, db string, targets map[string]pg.LSN) map[string]error {
		calls <- targets
		failed := map[string]error{}
		for name := range targets {
			switch {
			case strings.HasPrefix(name, "gone"):
				failed[name] = &pgconn.PgError{Code: "58P01", Message: "requested WAL segment has already been removed"}
			case strings.HasPrefix(name, "bad"):
				failed[name] = errors.New("boom")
			}
		}
		return failed
	}
	var a logicalAdvancer
	a.schedule(map[string]map[string]int64{"postgres": {"ok": 10, "gone": 20, "bad": 30}}, do, log)
	if got := <-calls; len(got) != 3 || got["ok"] != 10 {
		t.Fatalf("advanced %v", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		a.mu.Lock()
		idle := !a.running
		a.mu.Unlock()
		if idle {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("advancer did not finish")
		}
		time.Sleep(time.Millisecond)
	}
	failed, broken := a.schedule(nil, do, log)
	if !failed || !slices.Equal(broken, []string{"gone"}) {
		t.Fatalf("failed=%v copy=%v", failed, broken)
	}
	if failed, broken := a.schedule(nil, do, log); failed || broken != nil {
		t.Fatalf("feedback is given once: failed=%v copy=%v", failed, broken)
	}
}
