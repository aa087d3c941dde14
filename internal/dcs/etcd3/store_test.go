package etcd3_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs"
	"github.com/patroni-go/patroni/internal/dcs/dcstest"
	"github.com/patroni-go/patroni/internal/dcs/etcd3"
	"github.com/patroni-go/patroni/internal/testenv"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestContract(t *testing.T) {
	e := testenv.StartEtcd(t)
	start := time.Now()
	newStore := func(t *testing.T, id dcs.Identity, timing dcs.Timing) dcs.Store {
		st, err := etcd3.New(etcd3.Config{Host: e.Addr()}, id, timing, quietLogger())
		if err != nil {
			t.Fatalf("etcd3.New: %v", err)
		}
		return st
	}
	dcstest.Run(t, newStore, dcstest.ControlFuncs{StopFunc: e.Stop, RestartFunc: func() { e.Restart(t) }})
	t.Logf("contract suite took %v", time.Since(start).Round(time.Millisecond))
}

func newStore(t *testing.T, cfg etcd3.Config, name string, timing dcs.Timing) *etcd3.Store {
	t.Helper()
	st, err := etcd3.New(cfg, dcs.Identity{Scope: "batman", Name: name}, timing, quietLogger())
	if err != nil {
		t.Fatalf("etcd3.New: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

var fast = dcs.Timing{TTL: 3 * time.Second, LoopWait: time.Second, RetryTimeout: 2 * time.Second}

// TestLeaseHandling: Load exposes mod_revision and the lease id as Patroni does, and
// UpdateLeader re-points the key to a new lease or re-creates it when it vanished.
func TestLeaseHandling(t *testing.T) {
	e := testenv.StartEtcd(t)
	cfg := etcd3.Config{Hosts: []string{e.Addr()}, Linearizable: true}
	a := newStore(t, cfg, "a", fast)
	ctx := t.Context()
	if ok, err := a.AttemptToAcquireLeader(ctx); !ok || err != nil {
		t.Fatalf("AttemptToAcquireLeader = %v, %v", ok, err)
	}
	if ok, err := a.TouchMember(ctx, cluster.MemberData{State: "running", Role: cluster.RoleMaster}); !ok || err != nil {
		t.Fatalf("TouchMember = %v, %v", ok, err)
	}
	raw := func(key string) *mvccpb.KeyValue {
		resp, err := a.Client().Get(ctx, "/service/batman/"+key)
		if err != nil || len(resp.Kvs) != 1 {
			t.Fatalf("get %s: %v %v", key, resp, err)
		}
		return resp.Kvs[0]
	}
	v, err := a.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kv := raw("leader")
	if v.Leader.Version != kv.ModRevision || v.Leader.Session != strconv.FormatInt(kv.Lease, 10) {
		t.Fatalf("leader version/session = %d/%s, etcd has mod_revision %d lease %d", v.Leader.Version, v.Leader.Session, kv.ModRevision, kv.Lease)
	}
	if m := raw("members/a"); m.Lease != kv.Lease {
		t.Fatalf("member key lease %d differs from the leader key's %d", m.Lease, kv.Lease)
	}

	// A new ttl means a new lease: the key is re-pointed, not re-created.
	a.SetTiming(dcs.Timing{TTL: 5 * time.Second, LoopWait: time.Second, RetryTimeout: 2 * time.Second})
	if ok, err := a.UpdateLeader(ctx, v.Leader); !ok || err != nil {
		t.Fatalf("UpdateLeader after SetTiming = %v, %v", ok, err)
	}
	moved := raw("leader")
	if moved.Lease == kv.Lease || moved.CreateRevision != kv.CreateRevision {
		t.Fatalf("leader key after ttl change: lease %d (was %d), create_revision %d (was %d)", moved.Lease, kv.Lease, moved.CreateRevision, kv.CreateRevision)
	}
	if ttl, err := a.Client().TimeToLive(ctx, clientv3.LeaseID(moved.Lease)); err != nil || ttl.GrantedTTL != 5 {
		t.Fatalf("new lease granted TTL = %v, %v; want 5", ttl, err)
	}

	// The lease vanishes (as after a pause longer than ttl) and nobody took the lock:
	// the holder creates the key again on a fresh lease.
	if _, err := a.Client().Revoke(ctx, clientv3.LeaseID(moved.Lease)); err != nil {
		t.Fatal(err)
	}
	if ok, err := a.UpdateLeader(ctx, v.Leader); !ok || err != nil {
		t.Fatalf("UpdateLeader after the lease vanished = %v, %v", ok, err)
	}
	if again := raw("leader"); again.Lease == moved.Lease || string(again.Value) != "a" {
		t.Fatalf("leader key after revoke: %+v", again)
	}
	// TouchMember notices its key is gone although the data did not change.
	if _, err := a.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, err := a.TouchMember(ctx, cluster.MemberData{State: "running", Role: cluster.RoleMaster}); !ok || err != nil {
		t.Fatalf("TouchMember = %v, %v", ok, err)
	}
	if m := raw("members/a"); m.Lease != raw("leader").Lease {
		t.Fatal("member key not re-written on the new lease")
	}
}

// TestUnreachableNamesHost: with nothing listening, calls fail with ErrUnreachable and
// a message naming the endpoint.
func TestUnreachableNamesHost(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	st := newStore(t, etcd3.Config{Host: addr}, "a", dcs.Timing{TTL: 3 * time.Second, LoopWait: time.Second, RetryTimeout: 500 * time.Millisecond})
	_, err := st.Load(t.Context())
	if !errors.Is(err, dcs.ErrUnreachable) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Load against a closed port: %v; want ErrUnreachable naming %s", err, addr)
	}
	if _, err := st.AttemptToAcquireLeader(t.Context()); !errors.Is(err, dcs.ErrUnreachable) {
		t.Fatalf("AttemptToAcquireLeader against a closed port: %v", err)
	}
}

// TestAuth: username/password authentication, and a clear, non-retryable error for
// wrong credentials (Patroni exits on those at startup).
func TestAuth(t *testing.T) {
	e := testenv.StartEtcd(t)
	admin := newStore(t, etcd3.Config{Host: e.Addr()}, "admin", fast).Client()
	ctx := t.Context()
	for _, step := range []func() error{
		func() error { _, err := admin.UserAdd(ctx, "root", "rootpw"); return err },
		func() error { _, err := admin.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := admin.AuthEnable(ctx); return err },
	} {
		if err := step(); err != nil {
			t.Fatalf("enable auth: %v", err)
		}
	}
	st := newStore(t, etcd3.Config{Host: e.Addr(), Username: "root", Password: "rootpw"}, "a", fast)
	if ok, err := st.AttemptToAcquireLeader(ctx); !ok || err != nil {
		t.Fatalf("AttemptToAcquireLeader with auth = %v, %v", ok, err)
	}
	if v, err := st.Load(ctx); err != nil || v.LeaderName() != "a" {
		t.Fatalf("Load with auth: leader %q, %v", v.LeaderName(), err)
	}
	_, err := etcd3.New(etcd3.Config{URL: "http://root:wrong@" + e.Addr()}, dcs.Identity{Scope: "batman"}, fast, quietLogger())
	if err == nil || errors.Is(err, dcs.ErrUnreachable) || !strings.Contains(err.Error(), `"root"`) {
		t.Fatalf("wrong password: %v; want a non-retryable error naming the user", err)
	}
}
