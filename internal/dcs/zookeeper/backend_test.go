package zookeeper_test

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs"
	"github.com/patroni-go/patroni/internal/dcs/zookeeper"
	"github.com/patroni-go/patroni/internal/testenv"
)

var fast = dcs.Timing{TTL: 3 * time.Second, LoopWait: time.Second, RetryTimeout: 2 * time.Second}

// env is one ZooKeeper server shared by the backend tests; each test uses its own scope.
type env struct {
	z *testenv.ZooKeeper
}

func (e env) open(t *testing.T, cfg zookeeper.Config, scope, name string) *zookeeper.Store {
	t.Helper()
	if cfg.Hosts == nil {
		cfg.Hosts = e.z.Servers()
	}
	st, err := zookeeper.New(cfg, dcs.Identity{Scope: scope, Name: name}, fast, testLogger())
	if err != nil {
		t.Fatalf("zookeeper.New: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// raw is a plain client with its own session, playing "somebody else" (another Patroni,
// an operator with zkCli).
func (e env) raw(t *testing.T) *zk.Conn {
	t.Helper()
	c, events, err := zk.Connect(e.z.Servers(), 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	deadline := time.After(20 * time.Second)
	for c.State() != zk.StateHasSession {
		select {
		case <-events:
		case <-deadline:
			t.Fatal("raw client: no session")
		}
	}
	return c
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

func mustCreate(t *testing.T, c *zk.Conn, p string, data string, flags int32) {
	t.Helper()
	parts := []string{}
	for dir := p; ; {
		i := len(dir) - 1
		for i > 0 && dir[i] != '/' {
			i--
		}
		if i <= 0 {
			break
		}
		dir = dir[:i]
		parts = append([]string{dir}, parts...)
	}
	for _, dir := range parts {
		if _, err := c.Create(dir, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			t.Fatalf("create %s: %v", dir, err)
		}
	}
	if _, err := c.Create(p, []byte(data), flags, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create %s: %v", p, err)
	}
}

// result holds a (value, error) pair: try(st.Load(ctx)).must(t, "Load").
type result[T any] struct {
	v   T
	err error
}

func try[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) must(t *testing.T, what string) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%s: %v", what, r.err)
	}
	return r.v
}

func wantOK(t *testing.T, what string, want, ok bool, err error) {
	t.Helper()
	if err != nil || ok != want {
		t.Fatalf("%s = %v, %v; want %v", what, ok, err, want)
	}
}

// expect checks a (bool, error) result: expect(t, "what", true)(st.Call(ctx)).
func expect(t *testing.T, what string, want bool) func(bool, error) {
	return func(ok bool, err error) {
		t.Helper()
		wantOK(t, what, want, ok, err)
	}
}

func memberData(port int) cluster.MemberData {
	return cluster.MemberData{ConnURL: fmt.Sprintf("postgres://127.0.0.1:%d/postgres", port),
		APIURL: fmt.Sprintf("http://127.0.0.1:%d/patroni", port+3000), State: "running", Role: cluster.RoleReplica, Version: "4.1.4"}
}

func TestBackend(t *testing.T) {
	t.Parallel() // each test has its own server
	e := env{testenv.StartZooKeeper(t)}
	start := time.Now()
	t.Run("group", func(t *testing.T) {
		for name, f := range map[string]func(*testing.T, env){
			"LoadVersions":          testLoadVersions,
			"LockRace":              testLockRace,
			"ForeignLeaderZnode":    testForeignLeaderZnode,
			"UnparsableValues":      testUnparsableValues,
			"IdleSessionLapses":     testIdleSessionLapses,
			"DeleteLeaderDropsAll":  testDeleteLeaderDropsAll,
			"OneDeadHost":           testOneDeadHost,
			"OneSilentHost":         testOneSilentHost,
			"Chroot":                testChroot,
			"ACLAndAuth":            testACLAndAuth,
			"TLS":                   testTLS,
			"WatchConfigNotMembers": testWatchConfigNotMembers,
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				f(t, e)
			})
		}
	})
	t.Run("FrozenServer", func(t *testing.T) { testFrozenServer(t, e) })
	t.Logf("backend tests took %v", time.Since(start).Round(time.Millisecond))
}

// testLoadVersions: versions and sessions are the znode fields Patroni reads.
func testLoadVersions(t *testing.T, e env) {
	a := e.open(t, zookeeper.Config{}, "versions", "a")
	ctx := t.Context()
	expect(t, "acquire", true)(a.AttemptToAcquireLeader(ctx))
	expect(t, "touch", true)(a.TouchMember(ctx, memberData(5432)))
	expect(t, "config", true)(a.SetConfig(ctx, []byte(`{"ttl":30}`), dcs.NoVersion))
	expect(t, "config", true)(a.SetConfig(ctx, []byte(`{"ttl":20}`), 0))
	v := try(a.Load(ctx)).must(t, "Load")
	raw := e.raw(t)
	stat := func(rel string) *zk.Stat {
		_, st, err := raw.Get("/service/versions/" + rel)
		if err != nil {
			t.Fatalf("get %s: %v", rel, err)
		}
		return st
	}
	ls, ms, cs := stat("leader"), stat("members/a"), stat("config")
	if ls.EphemeralOwner == 0 || ms.EphemeralOwner != ls.EphemeralOwner || ls.EphemeralOwner != a.SessionID() {
		t.Fatalf("leader/member znodes not ephemeral to a's session: %d %d (session %d)", ls.EphemeralOwner, ms.EphemeralOwner, a.SessionID())
	}
	if v.Leader.Session != strconv.FormatInt(ls.EphemeralOwner, 10) || v.Leader.Version != ls.Mzxid {
		t.Fatalf("leader session/version %s/%d, znode owner %d mzxid %d", v.Leader.Session, v.Leader.Version, ls.EphemeralOwner, ls.Mzxid)
	}
	if m := v.Member("a"); m.Session != v.Leader.Session || m.Version != int64(ms.Version) {
		t.Fatalf("member a session/version %s/%d, znode version %d", m.Session, m.Version, ms.Version)
	}
	if v.Config.Version != 1 || v.Config.Version != int64(cs.Version) || v.Config.ModifyVersion != cs.Mzxid {
		t.Fatalf("config version %d modify %d, znode version %d mzxid %d", v.Config.Version, v.Config.ModifyVersion, cs.Version, cs.Mzxid)
	}
}

// testLockRace: of several members racing for the lock exactly one wins.
func testLockRace(t *testing.T, e env) {
	const n = 6
	stores := make([]*zookeeper.Store, n)
	for i := range stores {
		stores[i] = e.open(t, zookeeper.Config{}, "race", fmt.Sprintf("m%d", i))
	}
	won := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, st := range stores {
		wg.Go(func() { won[i], errs[i] = st.AttemptToAcquireLeader(t.Context()) })
	}
	wg.Wait()
	winner := ""
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("m%d: %v", i, errs[i])
		}
		if won[i] {
			if winner != "" {
				t.Fatalf("%s and m%d both won", winner, i)
			}
			winner = fmt.Sprintf("m%d", i)
		}
	}
	if v := try(stores[0].Load(t.Context())).must(t, "Load"); v.LeaderName() != winner || winner == "" {
		t.Fatalf("leader %q, winner %q", v.LeaderName(), winner)
	}
}

// testForeignLeaderZnode: a leader znode naming us but owned by another session is moved
// to ours; one naming somebody else is never touched by UpdateLeader or DeleteLeader.
func testForeignLeaderZnode(t *testing.T, e env) {
	a := e.open(t, zookeeper.Config{}, "foreign", "a")
	ctx := t.Context()
	raw := e.raw(t)
	const p = "/service/foreign/leader"
	mustCreate(t, raw, p, "a", zk.FlagEphemeral)
	v := try(a.Load(ctx)).must(t, "Load")
	expect(t, "UpdateLeader of our name in another session", true)(a.UpdateLeader(ctx, v.Leader))
	if _, st, err := raw.Get(p); err != nil || st.EphemeralOwner != a.SessionID() {
		t.Fatalf("leader znode after UpdateLeader: owner %v (a is %d), %v", st, a.SessionID(), err)
	}
	if err := raw.Delete(p, -1); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, raw, p, "b", zk.FlagEphemeral)
	expect(t, "UpdateLeader while b holds the lock", false)(a.UpdateLeader(ctx, v.Leader))
	if err := a.DeleteLeader(ctx, v.Leader); err != nil {
		t.Fatal(err)
	}
	if data, st, err := raw.Get(p); err != nil || string(data) != "b" || st.EphemeralOwner != raw.SessionID() {
		t.Fatalf("b's leader znode after a's attempts: %q %v %v", data, st, err)
	}
}

// testUnparsableValues: garbage written by somebody else never breaks Load.
func testUnparsableValues(t *testing.T, e env) {
	raw := e.raw(t)
	base := "/service/garbage/"
	for rel, value := range map[string]string{
		"initialize": "\xff\xfe", "config": "not json", "leader": "", "status": "{",
		"failover": "{}garbage", "sync": `"x"`, "history": "[[", "failsafe": "[1]",
		"optime/leader": "abc", "members/x": "}{", "members/y": `[1,2]`, "members/z/deeper": "{}",
	} {
		mustCreate(t, raw, base+rel, value, 0)
	}
	a := e.open(t, zookeeper.Config{}, "garbage", "a")
	v := try(a.Load(t.Context())).must(t, "Load")
	if !v.IsUnlocked() || v.Config.IsValid() || len(v.Problems) == 0 {
		t.Fatalf("view of garbage: unlocked %v, config valid %v, problems %v", v.IsUnlocked(), v.Config.IsValid(), v.Problems)
	}
	if m := v.Member("x"); m == nil || m.State != "" && m.State != "unknown" {
		t.Fatalf("member x = %+v", m)
	}
	t.Logf("problems: %v", v.Problems)
	ok, err := a.AttemptToAcquireLeader(t.Context())
	wantOK(t, "acquire over an empty leader znode (persistent, not ours)", false, ok, err)
}

// testIdleSessionLapses: a store nobody calls (a frozen HA loop) stops pinging; its
// session expires and its ephemeral znodes go. The next call works on a new session.
func testIdleSessionLapses(t *testing.T, e env) {
	a := e.open(t, zookeeper.Config{}, "idle", "a")
	ctx := t.Context()
	expect(t, "acquire", true)(a.AttemptToAcquireLeader(ctx))
	expect(t, "touch", true)(a.TouchMember(ctx, memberData(5432)))
	stale := try(a.Load(ctx)).must(t, "Load")
	old := a.SessionID()
	raw := e.raw(t)
	start := time.Now()
	for {
		l, _, _ := raw.Exists("/service/idle/leader")
		m, _, _ := raw.Exists("/service/idle/members/a")
		if !l && !m {
			break
		}
		if time.Since(start) > 4*fast.TTL {
			t.Fatalf("ephemeral znodes of an idle store still there after %v", time.Since(start))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("idle store's znodes gone after %v (ttl %v)", time.Since(start).Round(100*time.Millisecond), fast.TTL)
	// Patroni re-creates a vanished lock of ours (nobody took it meanwhile).
	expect(t, "UpdateLeader after the session lapsed", true)(a.UpdateLeader(ctx, stale.Leader))
	expect(t, "touch", true)(a.TouchMember(ctx, memberData(5432)))
	v := try(a.Load(ctx)).must(t, "Load")
	if a.SessionID() == old || v.Leader.Session != strconv.FormatInt(a.SessionID(), 10) || v.Member("a").Session != v.Leader.Session {
		t.Fatalf("after the lapse: old session %d, now %d, leader %s, member %+v", old, a.SessionID(), v.Leader.Session, v.Member("a"))
	}
}

// testDeleteLeaderDropsAll: releasing the lock ends the session at once, so the member
// znode goes too (Patroni's delete_leader); the next TouchMember brings it back.
func testDeleteLeaderDropsAll(t *testing.T, e env) {
	a := e.open(t, zookeeper.Config{}, "release", "a")
	ctx := t.Context()
	expect(t, "acquire", true)(a.AttemptToAcquireLeader(ctx))
	expect(t, "touch", true)(a.TouchMember(ctx, memberData(5432)))
	v := try(a.Load(ctx)).must(t, "Load")
	if err := a.DeleteLeader(ctx, v.Leader); err != nil {
		t.Fatal(err)
	}
	raw := e.raw(t)
	for _, rel := range []string{"leader", "members/a"} {
		if ok, _, err := raw.Exists("/service/release/" + rel); ok || err != nil {
			t.Fatalf("%s still exists right after DeleteLeader (%v)", rel, err)
		}
	}
	expect(t, "touch again", true)(a.TouchMember(ctx, memberData(5432)))
	if ok, st, _ := raw.Exists("/service/release/members/a"); !ok || st.EphemeralOwner != a.SessionID() {
		t.Fatal("member znode not re-created on the new session")
	}
}

func testOneDeadHost(t *testing.T, e env) {
	dead := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	for i := range 3 { // the client shuffles the hosts: try a few orders
		a := e.open(t, zookeeper.Config{Hosts: []string{dead, e.z.Addr()}}, "deadhost", fmt.Sprint("m", i))
		expect(t, "touch", true)(a.TouchMember(t.Context(), memberData(5432)))
	}
}

// testOneSilentHost: a server that accepts connections but never answers (a hung JVM)
// must not hold the client for long: it moves on to the next server after the read
// timeout, well within retry_timeout.
func testOneSilentHost(t *testing.T, e env) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	timing := fast
	timing.RetryTimeout = 6 * time.Second
	for i := range 3 { // the client shuffles the hosts: try a few orders
		cfg := zookeeper.Config{Hosts: []string{ln.Addr().String(), e.z.Addr()}}
		st, err := zookeeper.New(cfg, dcs.Identity{Scope: "silenthost", Name: fmt.Sprint("m", i)}, timing, testLogger())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		expect(t, "touch", true)(st.TouchMember(t.Context(), memberData(5432)))
	}
}

func testChroot(t *testing.T, e env) {
	a := e.open(t, zookeeper.Config{Hosts: []string{e.z.Addr() + "/chroot/x"}}, "rooted", "a")
	expect(t, "acquire", true)(a.AttemptToAcquireLeader(t.Context()))
	if ok, _, err := e.raw(t).Exists("/chroot/x/service/rooted/leader"); !ok || err != nil {
		t.Fatalf("leader znode not under the chroot: %v %v", ok, err)
	}
}

// testACLAndAuth: set_acls protects every znode we create; auth_data lets us in.
func testACLAndAuth(t *testing.T, e env) {
	id := zk.DigestACL(zk.PermAll, "patroni", "secret")[0].ID
	cfg := zookeeper.Config{
		Hosts:    []string{e.z.Addr() + "/acl"},
		SetACLs:  map[string][]string{"digest:" + id: {"ALL"}},
		AuthData: map[string]string{"digest": "patroni:secret"},
	}
	a := e.open(t, cfg, "protected", "a")
	ctx := t.Context()
	expect(t, "acquire", true)(a.AttemptToAcquireLeader(ctx))
	expect(t, "config", true)(a.SetConfig(ctx, []byte(`{}`), dcs.NoVersion))
	if v := try(a.Load(ctx)).must(t, "Load"); v.LeaderName() != "a" || v.Config == nil {
		t.Fatalf("view: leader %q config %v", v.LeaderName(), v.Config)
	}
	raw := e.raw(t)
	if _, _, err := raw.Get("/acl/service/protected/config"); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("unauthenticated read of config: %v, want ErrNoAuth", err)
	}
	if err := raw.AddAuth("digest", []byte("patroni:secret")); err != nil { // reading an ACL needs READ
		t.Fatal(err)
	}
	acl, _, err := raw.GetACL("/acl/service/protected/leader")
	if err != nil || len(acl) != 1 || acl[0].Scheme != "digest" || acl[0].ID != id || acl[0].Perms != zk.PermAll {
		t.Fatalf("leader ACL = %+v, %v", acl, err)
	}
}

// testWatchConfigNotMembers: a config change wakes a watching replica, a member key does not.
func testWatchConfigNotMembers(t *testing.T, e env) {
	a, b := e.open(t, zookeeper.Config{}, "watching", "a"), e.open(t, zookeeper.Config{}, "watching", "b")
	ctx := t.Context()
	expect(t, "acquire", true)(a.AttemptToAcquireLeader(ctx))
	expect(t, "config", true)(a.SetConfig(ctx, []byte(`{"ttl":30}`), dcs.NoVersion))
	v := try(b.Load(ctx)).must(t, "Load")
	expect(t, "a.touch", true)(a.TouchMember(ctx, memberData(5432)))
	if b.Watch(ctx, v.Leader.Version, 200*time.Millisecond) {
		t.Fatal("a member key woke Watch")
	}
	done := make(chan bool, 1)
	go func() { done <- b.Watch(ctx, v.Leader.Version, 30*time.Second) }()
	expect(t, "config", true)(a.SetConfig(ctx, []byte(`{"ttl":20}`), v.Config.Version))
	select {
	case woke := <-done:
		if !woke {
			t.Fatal("Watch timed out")
		}
	case <-time.After(35 * time.Second):
		t.Fatal("Watch did not return")
	}
}

// testFrozenServer: a server that accepts connections but never answers (SIGSTOP): every
// call fails with ErrUnreachable within about retry_timeout, and works again after.
func testFrozenServer(t *testing.T, e env) {
	a := e.open(t, zookeeper.Config{}, "frozen", "a")
	ctx := t.Context()
	expect(t, "acquire", true)(a.AttemptToAcquireLeader(ctx))
	v := try(a.Load(ctx)).must(t, "Load")
	thaw := freeze(t, e.z.PID())
	defer thaw()
	for name, call := range map[string]func() error{
		"Load":         func() error { _, err := a.Load(ctx); return err },
		"UpdateLeader": func() error { _, err := a.UpdateLeader(ctx, v.Leader); return err },
		"WriteStatus":  func() error { return a.WriteStatus(ctx, cluster.Status{Optime: 1, Present: true}) },
	} {
		start := time.Now()
		err := call()
		took := time.Since(start)
		if !errors.Is(err, dcs.ErrUnreachable) || took > fast.RetryTimeout+2*time.Second {
			t.Fatalf("%s against a frozen server: %v after %v", name, err, took)
		}
		t.Logf("%s against a frozen server: %v after %v", name, err, took.Round(time.Millisecond))
	}
	thaw()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := a.UpdateLeader(ctx, v.Leader)
		if err == nil && ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after the server thawed: %v %v", ok, err)
		}
	}
}
