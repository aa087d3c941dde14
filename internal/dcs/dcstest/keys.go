package dcstest

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs"
)

func (s *suite) configCAS(t *testing.T) {
	a := s.open(t, s.scope(t), "a")
	ctx := ctxFor(t)
	ok, err := a.SetConfig(ctx, []byte(`{"ttl":30,"loop_wait":10}`), dcs.NoVersion)
	wantBool(t, "SetConfig without version", true, ok, err)
	v := load(t, a)
	if v.Config == nil || !v.Config.IsValid() || v.Config.Data["ttl"] == nil {
		t.Fatalf("config after write = %+v", v.Config)
	}
	first := v.Config.Version
	ok, err = a.SetConfig(ctx, []byte(`{"ttl":20}`), first)
	wantBool(t, "SetConfig with the current version", true, ok, err)
	ok, err = a.SetConfig(ctx, []byte(`{"ttl":40}`), first)
	wantBool(t, "SetConfig with a stale version", false, ok, err)
	v = load(t, a)
	if string(v.Config.Raw) != `{"ttl":20}` || v.Config.Version == first {
		t.Fatalf("config = %s (version %d), want {\"ttl\":20} with a new version", v.Config.Raw, v.Config.Version)
	}
}

func (s *suite) failoverCAS(t *testing.T) {
	a := s.open(t, s.scope(t), "a")
	ctx := ctxFor(t)
	at := time.Date(2030, 5, 2, 10, 0, 0, 0, time.UTC)
	ok, err := a.SetFailover(ctx, cluster.Failover{Leader: "a", Member: "b", ScheduledAt: &at}, dcs.NoVersion)
	wantBool(t, "SetFailover", true, ok, err)
	v := load(t, a)
	f := v.Failover
	if f == nil || f.Leader != "a" || f.Member != "b" || f.ScheduledAt == nil || !f.ScheduledAt.Equal(at) {
		t.Fatalf("failover after write = %+v", f)
	}
	ok, err = a.SetFailover(ctx, cluster.Failover{}, f.Version+1000)
	wantBool(t, "clear failover with a wrong version", false, ok, err)
	ok, err = a.SetFailover(ctx, cluster.Failover{}, f.Version)
	wantBool(t, "clear failover with the current version", true, ok, err)
	v = load(t, a)
	if v.Failover == nil || !v.Failover.IsEmpty() {
		t.Fatalf("cleared failover = %+v, want a present, empty {} key", v.Failover)
	}
	ok, err = a.SetFailover(ctx, cluster.Failover{Member: "c"}, f.Version)
	wantBool(t, "SetFailover with a stale version", false, ok, err)
}

func (s *suite) syncCAS(t *testing.T) {
	a := s.open(t, s.scope(t), "a")
	ctx := ctxFor(t)
	v1, ok, err := a.SetSync(ctx, cluster.SyncState{Leader: "a", SyncStandby: []string{"c", "b"}}, dcs.NoVersion)
	wantBool(t, "SetSync", true, ok, err)
	v := load(t, a)
	if v.Sync.Leader != "a" || !reflect.DeepEqual(v.Sync.SyncStandby, []string{"b", "c"}) || v.Sync.Version != v1 {
		t.Fatalf("sync after write = %+v, want leader a, standbys [b c], version %d", v.Sync, v1)
	}
	v2, ok, err := a.SetSync(ctx, cluster.SyncState{Leader: "a"}, v1)
	wantBool(t, "SetSync with the current version", true, ok, err)
	if v2 == v1 {
		t.Fatalf("SetSync returned the old version %d", v2)
	}
	_, ok, err = a.SetSync(ctx, cluster.SyncState{Leader: "x"}, v1)
	wantBool(t, "SetSync with a stale version", false, ok, err)
	if v = load(t, a); v.Sync.Version != v2 || v.Sync.Leader != "a" || len(v.Sync.SyncStandby) != 0 {
		t.Fatalf("sync = %+v, want leader a, no standbys, version %d", v.Sync, v2)
	}
	ok, err = a.DeleteSync(ctx, v1)
	wantBool(t, "DeleteSync with a stale version", false, ok, err)
	ok, err = a.DeleteSync(ctx, v2)
	wantBool(t, "DeleteSync with the current version", true, ok, err)
	if v = load(t, a); !v.Sync.IsEmpty() {
		t.Fatalf("sync after delete = %+v, want empty", v.Sync)
	}
}

// initializeRace: of N members racing to bootstrap, exactly one wins.
func (s *suite) initializeRace(t *testing.T) {
	const n = 8
	scope := s.scope(t)
	stores := make([]dcs.Store, n)
	for i := range stores {
		stores[i] = s.open(t, scope, fmt.Sprintf("m%d", i))
	}
	ctx := ctxFor(t)
	won := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, st := range stores {
		wg.Go(func() { won[i], errs[i] = st.Initialize(ctx, true, "") })
	}
	wg.Wait()
	winner := -1
	for i := range n {
		noErr(t, fmt.Sprintf("m%d.Initialize", i), errs[i])
		if won[i] {
			if winner >= 0 {
				t.Fatalf("both m%d and m%d won the initialize race", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("nobody won the initialize race")
	}
	if v := load(t, stores[0]); v.Initialize == nil || *v.Initialize != "" {
		t.Fatalf("initialize during bootstrap = %v, want \"\"", v.Initialize)
	}
	const sysid = "7277694203142172922"
	ok, err := stores[winner].Initialize(ctx, false, sysid)
	wantBool(t, "Initialize(sysid)", true, ok, err)
	ok, err = stores[(winner+1)%n].Initialize(ctx, true, "123")
	wantBool(t, "Initialize(createNew) after bootstrap", false, ok, err)
	if v := load(t, stores[0]); v.Initialize == nil || *v.Initialize != sysid {
		t.Fatalf("initialize = %v, want %s", v.Initialize, sysid)
	}
}

func (s *suite) cancelInitialization(t *testing.T) {
	scope := s.scope(t)
	a, b := s.open(t, scope, "a"), s.open(t, scope, "b")
	ctx := ctxFor(t)
	ok, err := a.Initialize(ctx, true, "")
	wantBool(t, "a.Initialize", true, ok, err)
	noErr(t, "a.CancelInitialization", a.CancelInitialization(ctx))
	if v := load(t, b); v.Initialize != nil {
		t.Fatalf("initialize after cancel = %q, want absent", *v.Initialize)
	}
	ok, err = b.Initialize(ctx, true, "")
	wantBool(t, "b.Initialize after cancel", true, ok, err)
}

func (s *suite) touchMember(t *testing.T) {
	scope := s.scope(t)
	a, b := s.open(t, scope, "a"), s.open(t, scope, "b")
	ctx := ctxFor(t)
	d := memberData(5433, 50331968)
	ok, err := a.TouchMember(ctx, d)
	wantBool(t, "a.TouchMember", true, ok, err)
	v := load(t, b)
	m := v.Member("a")
	if m == nil {
		t.Fatal("member a missing after TouchMember")
	}
	if m.ConnURL != d.ConnURL || m.APIURL != d.APIURL || m.State != "running" || m.Role != cluster.RoleReplica ||
		m.MemberData.Version != "4.1.4" || m.XLogLocation == nil || *m.XLogLocation != 50331968 || m.Timeline == nil ||
		*m.Timeline != 1 || m.Tags["nofailover"] != true || m.Session == "" {
		t.Fatalf("member a = %+v", *m)
	}
	ok, err = a.TouchMember(ctx, d)
	wantBool(t, "a.TouchMember unchanged", true, ok, err)
	if again := load(t, b).Member("a"); again.Version != m.Version {
		t.Fatalf("unchanged TouchMember rewrote the key: version %d → %d", m.Version, again.Version)
	}
	d2 := memberData(5433, 50331999)
	ok, err = a.TouchMember(ctx, d2)
	wantBool(t, "a.TouchMember changed", true, ok, err)
	if got := load(t, b).Member("a"); got == nil || got.XLogLocation == nil || *got.XLogLocation != 50331999 {
		t.Fatalf("member a after change = %+v", got)
	}
	ok, err = b.TouchMember(ctx, memberData(5434, 1))
	wantBool(t, "b.TouchMember", true, ok, err)
	if v := load(t, a); len(v.Members) != 2 || v.Members[0].Name != "a" || v.Members[1].Name != "b" {
		t.Fatalf("members = %+v, want a and b", v.Members)
	}
}

func (s *suite) historyStatusFailsafe(t *testing.T) {
	a := s.open(t, s.scope(t), "a")
	ctx := ctxFor(t)
	h := cluster.History{Lines: []cluster.HistoryLine{
		cluster.NewHistoryLine(1, 25623960, "no recovery target specified", "2019-09-23T16:57:57+02:00", "b"),
		cluster.NewHistoryLine(2, 50331968, "no recovery target specified", "2019-09-24T16:57:57+02:00", "a"),
	}}
	noErr(t, "SetHistory", a.SetHistory(ctx, h))
	st := cluster.Status{Optime: 67108864, Slots: map[string]int64{"a": 67108864, "perm": 67100352}, Present: true}
	noErr(t, "WriteStatus", a.WriteStatus(ctx, st))
	fs := cluster.Failsafe{"a": "http://127.0.0.1:8008/patroni", "b": "http://127.0.0.1:8009/patroni"}
	noErr(t, "WriteFailsafe", a.WriteFailsafe(ctx, fs))
	v := load(t, a)
	if v.History == nil || len(v.History.Lines) != 2 || v.History.Lines[1].NewLeader != "a" || v.Timeline() != 3 {
		t.Fatalf("history = %+v", v.History)
	}
	if v.Status.Optime != st.Optime || !reflect.DeepEqual(v.Status.Slots, st.Slots) {
		t.Fatalf("status = %+v, want %+v", v.Status, st)
	}
	if !reflect.DeepEqual(v.Failsafe, fs) {
		t.Fatalf("failsafe = %v, want %v", v.Failsafe, fs)
	}
	st2 := cluster.Status{Optime: 67108999, Present: true}
	noErr(t, "WriteStatus again", a.WriteStatus(ctx, st2))
	noErr(t, "WriteStatus unchanged", a.WriteStatus(ctx, st2))
	if v := load(t, a); v.Status.Optime != 67108999 || len(v.Status.Slots) != 0 {
		t.Fatalf("status after second write = %+v", v.Status)
	}
}

// deleteCluster removes this scope's keys and nothing of a scope whose name extends it.
func (s *suite) deleteCluster(t *testing.T) {
	scope := s.scope(t)
	a, other := s.open(t, scope, "a"), s.open(t, scope+"2", "a")
	ctx := ctxFor(t)
	for _, st := range []dcs.Store{a, other} {
		ok, err := st.Initialize(ctx, true, "7277694203142172922")
		wantBool(t, "Initialize", true, ok, err)
		ok, err = st.AttemptToAcquireLeader(ctx)
		wantBool(t, "AttemptToAcquireLeader", true, ok, err)
		ok, err = st.TouchMember(ctx, memberData(5432, 1))
		wantBool(t, "TouchMember", true, ok, err)
		ok, err = st.SetConfig(ctx, []byte(`{}`), dcs.NoVersion)
		wantBool(t, "SetConfig", true, ok, err)
	}
	noErr(t, "DeleteCluster", a.DeleteCluster(ctx))
	if v := load(t, a); !v.IsEmpty() {
		t.Fatalf("view after DeleteCluster is not empty: %+v", v)
	}
	if v := load(t, other); v.LeaderName() != "a" || v.Initialize == nil || len(v.Members) != 1 {
		t.Fatalf("DeleteCluster of %q touched scope %q: %+v", scope, scope+"2", v)
	}
	ok, err := a.TouchMember(ctx, memberData(5432, 1))
	wantBool(t, "TouchMember after DeleteCluster", true, ok, err)
	if load(t, a).Member("a") == nil {
		t.Fatal("TouchMember after DeleteCluster did not write the member key again")
	}
}
