package consul_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs"
	"github.com/patroni-go/patroni/internal/dcs/consul"
	"github.com/patroni-go/patroni/internal/testenv"
)

var fast = dcs.Timing{TTL: 20 * time.Second, LoopWait: time.Second, RetryTimeout: 2 * time.Second}

func open(t *testing.T, cfg consul.Config, scope, name string, timing dcs.Timing) *consul.Store {
	t.Helper()
	st, err := consul.New(cfg, dcs.Identity{Scope: scope, Name: name}, timing, testLogger())
	if err != nil {
		t.Fatalf("consul.New: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// mustOK(t, what)(call()) fails the test unless call returned (true, nil).
func mustOK(t *testing.T, what string) func(bool, error) {
	return func(ok bool, err error) {
		t.Helper()
		if !ok || err != nil {
			t.Fatalf("%s = %v, %v; want true", what, ok, err)
		}
	}
}

func replica(port int) cluster.MemberData {
	return cluster.MemberData{
		ConnURL: fmt.Sprintf("postgres://127.0.0.1:%d/postgres", port),
		APIURL:  fmt.Sprintf("http://127.0.0.1:%d/patroni", port+3000),
		State:   "running", Role: cluster.RoleReplica, Version: "4.1.4",
	}
}

// TestPatroniLayout: keys without a leading slash, the session Patroni creates (name,
// no checks, behavior delete, ttl/2 as float seconds, lock delay 1 ms), ModifyIndex as
// version, and member and leader keys held by that session.
func TestPatroniLayout(t *testing.T) {
	t.Parallel()
	c := testenv.StartConsulInMemory(t)
	a := open(t, consul.Config{Host: c.Addr()}, "batman", "a", fast)
	ctx := t.Context()
	mustOK(t, "AttemptToAcquireLeader")(a.AttemptToAcquireLeader(ctx))
	mustOK(t, "TouchMember")(a.TouchMember(ctx, replica(5432)))
	kv := a.Client().KV()
	leader, _, err := kv.Get("service/batman/leader", nil)
	if err != nil || leader == nil || string(leader.Value) != "a" || leader.Session == "" {
		t.Fatalf("service/batman/leader = %+v, %v", leader, err)
	}
	member, _, err := kv.Get("service/batman/members/a", nil)
	if err != nil || member == nil || member.Session != leader.Session {
		t.Fatalf("member key %+v does not share the leader's session %s (%v)", member, leader.Session, err)
	}
	se, _, err := a.Client().Session().Info(leader.Session, nil)
	if err != nil || se == nil {
		t.Fatalf("session info: %v", err)
	}
	if se.Name != "batman-a" || se.Behavior != "delete" || se.TTL != "10.0s" || se.LockDelay != time.Millisecond ||
		len(se.NodeChecks)+len(se.Checks)+len(se.ServiceChecks) != 0 {
		t.Fatalf("session = %+v; want batman-a, delete, ttl 10.0s, lock delay 1ms, no checks", *se)
	}
	v, err := a.Load(ctx)
	if err != nil || v.Leader == nil || v.Leader.Version != int64(leader.ModifyIndex) || v.Leader.Session != leader.Session {
		t.Fatalf("Load leader = %+v, %v; Consul has ModifyIndex %d", v.Leader, err, leader.ModifyIndex)
	}
	if v.Leader.Member == nil || v.Leader.Member.Version != int64(member.ModifyIndex) {
		t.Fatalf("leader member = %+v", v.Leader.Member)
	}
	// patronictl's store, opened through the registry, reads consistently; a daemon
	// configured for stale reads sees the same keys.
	ctl, err := dcs.Open(map[string]any{"consul": map[string]any{"host": c.Addr()}},
		dcs.OpenOptions{Identity: dcs.Identity{Scope: "batman"}, Timing: fast, Logger: testLogger(), Consistent: true})
	if err != nil {
		t.Fatalf("dcs.Open(consul): %v", err)
	}
	defer ctl.Close()
	stale := open(t, consul.Config{Host: c.Addr(), Consistency: consul.ConsistencyStale}, "batman", "b", fast)
	for what, st := range map[string]dcs.Store{"patronictl": ctl, "stale": stale} {
		if v, err := st.Load(ctx); err != nil || v.LeaderName() != "a" || v.Member("a") == nil {
			t.Fatalf("%s Load: %+v, %v", what, v, err)
		}
	}
	if _, err := ctl.AttemptToAcquireLeader(ctx); err == nil {
		t.Fatal("a store without a member name acquired the lock")
	}
}

// TestSessionTTLBelowMinimum: a ttl whose half Consul rejects falls back to the
// agent's SessionTTLMin and the lock still works.
func TestSessionTTLBelowMinimum(t *testing.T) {
	t.Parallel()
	c := testenv.StartConsulInMemory(t)
	short := dcs.Timing{TTL: 6 * time.Second, LoopWait: time.Second, RetryTimeout: 2 * time.Second}
	a := open(t, consul.Config{Host: c.Addr()}, "batman", "a", short)
	mustOK(t, "AttemptToAcquireLeader")(a.AttemptToAcquireLeader(t.Context()))
	v, err := a.Load(t.Context())
	if err != nil || v.LeaderName() != "a" {
		t.Fatalf("Load: %v %v", v, err)
	}
	se, _, err := a.Client().Session().Info(v.Leader.Session, nil)
	if err != nil || se == nil || se.TTL != "10.0s" {
		t.Fatalf("session after fallback = %+v, %v; want ttl 10.0s", se, err)
	}
}

// TestSessionLost: our session is destroyed behind our back (its keys go with it);
// UpdateLeader creates a new session and re-creates the lock if nobody took it, and
// fails without touching the key if somebody did.
func TestSessionLost(t *testing.T) {
	t.Parallel()
	c := testenv.StartConsulInMemory(t)
	a := open(t, consul.Config{Host: c.Addr()}, "batman", "a", fast)
	ctx := t.Context()
	mustOK(t, "AttemptToAcquireLeader")(a.AttemptToAcquireLeader(ctx))
	mustOK(t, "TouchMember")(a.TouchMember(ctx, replica(5432)))
	v, _ := a.Load(ctx)
	sess := a.Client().Session()
	if _, err := sess.Destroy(v.Leader.Session, nil); err != nil {
		t.Fatal(err)
	}
	mustOK(t, "UpdateLeader after the session was destroyed")(a.UpdateLeader(ctx, v.Leader))
	mustOK(t, "TouchMember after the session was destroyed")(a.TouchMember(ctx, replica(5432)))
	after, _ := a.Load(ctx)
	if after.LeaderName() != "a" || after.Leader.Session == v.Leader.Session || after.Member("a") == nil ||
		after.Member("a").Session != after.Leader.Session {
		t.Fatalf("after recovery: leader %+v, member %+v", after.Leader, after.Member("a"))
	}

	// Somebody else takes the lock while our session is gone.
	if _, err := sess.Destroy(after.Leader.Session, nil); err != nil {
		t.Fatal(err)
	}
	other, _, err := sess.CreateNoChecks(&api.SessionEntry{TTL: "10s", Behavior: "delete"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ { // the key is blocked for the lock delay (1 ms) of the destroyed session
		ok, _, err := a.Client().KV().Acquire(&api.KVPair{Key: "service/batman/leader", Value: []byte("b"), Session: other}, nil)
		if ok {
			break
		}
		if err != nil || i == 50 {
			t.Fatalf("b acquire: %v %v", ok, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ok, err := a.UpdateLeader(ctx, after.Leader); ok || err != nil {
		t.Fatalf("UpdateLeader after b took the lock = %v, %v; want false", ok, err)
	}
	if err := a.DeleteLeader(ctx, after.Leader); err != nil {
		t.Fatal(err)
	}
	if final, _ := a.Load(ctx); final.LeaderName() != "b" || final.Leader.Session != other {
		t.Fatalf("b's lock was touched: %+v", final.Leader)
	}
}

// TestForeignValues: values written by somebody else that do not parse, keys without a
// value and deeper keys never make Load or the writers fail or panic.
func TestForeignValues(t *testing.T) {
	t.Parallel()
	c := testenv.StartConsulInMemory(t)
	a := open(t, consul.Config{Host: c.Addr()}, "batman", "a", fast)
	kv := a.Client().KV()
	for k, v := range map[string]string{
		"config": "{not json", "leader": "", "members/x": "\x00\xff garbage", "members/y/deep": "{}",
		"members/z": "[1,2]", "status": "optime", "history": "[[1,", "failover": "[1]", "sync": "17",
		"failsafe": "nope", "initialize": "", "optime/leader": "zz", "unknown/key": "?",
	} {
		if _, err := kv.Put(&api.KVPair{Key: "service/batman/" + k, Value: []byte(v)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := kv.Put(&api.KVPair{Key: "service/batman/members/nil"}, nil); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	v, err := a.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !v.IsUnlocked() || v.Config.IsValid() || len(v.Problems) == 0 {
		t.Fatalf("view = %+v; want unlocked, invalid config, problems reported", v)
	}
	names := []string{}
	for _, m := range v.Members {
		names = append(names, m.Name)
	}
	if !slices.Equal(names, []string{"nil", "x", "z"}) {
		t.Fatalf("members = %v, want nil x z", names)
	}
	mustOK(t, "AttemptToAcquireLeader over an empty leader key")(a.AttemptToAcquireLeader(ctx))
	mustOK(t, "TouchMember")(a.TouchMember(ctx, replica(5432)))
	if _, ok, err := a.SetSync(ctx, cluster.SyncState{Leader: "a"}, v.Sync.Version); !ok || err != nil {
		t.Fatalf("SetSync over a foreign value = %v, %v", ok, err)
	}
}

// TestUnreachable: with nothing listening every call fails fast with ErrUnreachable
// naming the agent's address; Watch just waits.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	a := open(t, consul.Config{Host: addr}, "batman", "a", dcs.Timing{TTL: 20 * time.Second, LoopWait: time.Second, RetryTimeout: time.Second})
	ctx := t.Context()
	_, err := a.Load(ctx)
	if !errors.Is(err, dcs.ErrUnreachable) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Load: %v; want ErrUnreachable naming %s", err, addr)
	}
	if _, err := a.AttemptToAcquireLeader(ctx); !errors.Is(err, dcs.ErrUnreachable) {
		t.Fatalf("AttemptToAcquireLeader: %v", err)
	}
	if _, err := a.TouchMember(ctx, replica(5432)); !errors.Is(err, dcs.ErrUnreachable) {
		t.Fatalf("TouchMember: %v", err)
	}
	if a.Watch(ctx, 42, 200*time.Millisecond) {
		t.Fatal("Watch woke with no agent")
	}
}
