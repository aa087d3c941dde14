package ha

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// garbage builds random, often inconsistent inputs: unknown roles, a leader that is not
// a member, failover naming ghosts, missing keys, random memory.
type garbage struct{ r *rand.Rand }

var fuzzNames = []string{"node1", "node2", "node3", "ghost", "", "NODE2"}

func (g garbage) name() string { return fuzzNames[g.r.IntN(len(fuzzNames))] }
func (g garbage) b() bool      { return g.r.IntN(2) == 0 }
func (g garbage) lsn() int64   { return int64(g.r.IntN(4)) * 1000 }
func (g garbage) dur() time.Duration {
	return time.Duration(g.r.IntN(120)-60) * time.Second
}

func (g garbage) str(opts ...string) string { return opts[g.r.IntN(len(opts))] }

func (g garbage) view() *cluster.View {
	if g.r.IntN(20) == 0 {
		return nil
	}
	v := &cluster.View{Status: cluster.Status{Optime: g.lsn()}}
	if g.b() {
		s := g.str("7000000000000000001", "", "123", "7000000000000000002")
		v.Initialize = &s
	}
	if g.b() {
		v.Config = &cluster.Config{Data: map[string]any{"x": 1}, ModifyVersion: 1}
	}
	for _, n := range []string{"node1", "node2", "node3"} {
		if g.r.IntN(4) == 0 {
			continue
		}
		tl := int64(g.r.IntN(4))
		x := g.lsn()
		m := cluster.Member{Name: n, MemberData: cluster.MemberData{
			Role:  cluster.Role(g.str("primary", "replica", "master", "standby_leader", "bogus", "")),
			State: g.str("running", "stopped", "starting", "unknown"), Timeline: &tl, XLogLocation: &x,
			APIURL: g.str("http://x", ""), ConnURL: g.str("postgres://x", "")}}
		if g.b() {
			m.Tags = map[string]any{g.str("nofailover", "nosync", "clonefrom", "failover_priority", "replicatefrom"): g.str("true", "node1")}
		}
		v.Members = append(v.Members, m)
	}
	if g.b() {
		v.Leader = &cluster.Leader{Name: g.name(), Version: 3}
		v.Leader.Member = v.Member(v.Leader.Name)
	}
	if g.b() {
		f := &cluster.Failover{Leader: g.name(), Member: g.name(), Version: 2}
		if g.b() {
			t := scenarioNow.Add(g.dur())
			f.ScheduledAt = &t
		} else if g.b() {
			f.ScheduledAtRaw = "garbage"
		}
		v.Failover = f
	}
	if g.b() {
		v.Sync = cluster.SyncState{Leader: g.name(), SyncStandby: []string{g.name()}, Quorum: int64(g.r.IntN(3)), Present: true}
	}
	if g.b() {
		v.History = &cluster.History{Lines: []cluster.HistoryLine{{Timeline: int64(g.r.IntN(3))}}}
	}
	if g.b() {
		v.Failsafe = cluster.Failsafe{g.name(): "http://x", g.name(): ""}
	}
	return v
}

func (g garbage) settings() Settings {
	return Settings{TTL: time.Duration(g.r.IntN(40)) * time.Second, LoopWait: time.Duration(g.r.IntN(12)) * time.Second,
		MaximumLagOnFailover: int64(g.r.IntN(3000)), MaximumLagOnSyncNode: int64(g.r.IntN(3000) - 1000),
		PrimaryStartTimeout: time.Duration(g.r.IntN(3)) * 100 * time.Second, SynchronousMode: SyncMode(g.r.IntN(3)),
		SynchronousModeStrict: g.b(), SynchronousNodeCount: g.r.IntN(3), FailsafeMode: g.b(), CheckTimeline: g.b(),
		Paused: g.r.IntN(4) == 0, RemoveDataDirectoryOnDivergedTimeline: g.b(), StandbyCluster: g.r.IntN(5) == 0,
		HasBootstrapSection: g.b(), ReplicaWithoutLeader: g.b(), Watchdog: WatchdogMode(g.r.IntN(3)),
		Tags: LocalTags{NoFailover: g.r.IntN(4) == 0, FailoverPriority: int64(g.r.IntN(3)), ReplicateFrom: g.str("", "node3", "ghost"), NoStream: g.r.IntN(6) == 0}}
}

func (g garbage) local(name string) Local {
	pg := PGState{DataDirEmpty: g.r.IntN(6) == 0, Running: g.r.IntN(4) != 0, IsPrimary: g.b(),
		State: g.str("running", "starting", "stopped", "crashed", "start failed"), StateSince: scenarioNow.Add(g.dur() * 10),
		Role:     cluster.Role(g.str("primary", "replica", "demoted", "promoted", "standby_leader", "uninitialized", "weird")),
		Timeline: int64(g.r.IntN(4)), WALPosition: g.lsn(), Sysid: g.str("7000000000000000001", "bad", "7000000000000000002"),
		ClusterState: g.str("in production", "shut down", "in archive recovery", "shut down in recovery", ""),
		CanRewind:    g.b(), FollowingName: g.name(), RecoveryConfStale: g.b(), RecoveryConfNeedsRestart: g.b()}
	if g.r.IntN(10) == 0 {
		pg.DataDirError = "EACCES"
	}
	l := Local{Name: name, PG: pg, CallbackFired: g.b(), WatchdogHealthy: g.b(), WatchdogRunning: g.b(),
		Async: AsyncState{Action: g.str("", "", "", "promote", "restart", taskCrashRecovery, "bootstrap"),
			Response: ResponseState(g.r.IntN(3)), PrePromoteDone: g.b()},
		Sync: SyncObservation{SSN: g.str("", "node2", "2 (node2,node3)", "*", "ANY 1 (\"a\",b)", "((("),
			Replication: []WalSender{{ApplicationName: g.name(), SyncState: g.str("sync", "async", "potential"), LSN: g.lsn()}}},
		Memory: Memory{LockRenewedAt: scenarioNow.Add(g.dur()), Recovering: g.b(), Bootstrapping: g.r.IntN(5) == 0,
			Rewind: RewindState(g.r.IntN(6)), ReleasedLeaderKeyAt: scenarioNow.Add(g.dur() * 3), WasPaused: g.b()}}
	if g.b() {
		l.FailsafeLeader = &FailsafeSender{Name: g.name(), At: scenarioNow.Add(g.dur())}
	}
	if g.b() {
		l.ScheduledRestart = &ScheduledRestart{At: scenarioNow.Add(g.dur()), Role: cluster.Role(g.str("", "primary"))}
	}
	return l
}

func (g garbage) result(gt Gate, v *cluster.View) Result {
	r := Result{Gate: gateName(gt), OK: g.b(), DCSError: g.r.IntN(5) == 0, Started: scenarioNow.Add(-time.Duration(g.r.IntN(40)) * time.Second)}
	switch gt.(type) {
	case ReloadView:
		r.View = g.view()
		if r.View == nil && !r.DCSError {
			r.View = v
		}
	case FetchPeers:
		r.Peers = map[string]PeerStatus{}
		for _, n := range []string{"node1", "node2", "node3", "ghost"} {
			if g.b() {
				r.Peers[n] = PeerStatus{Reachable: g.b(), InRecovery: g.b(), WALPosition: g.lsn(), Timeline: int64(g.r.IntN(3)),
					NoFailover: g.b(), Priority: int64(g.r.IntN(3)), WatchdogFailed: g.r.IntN(5) == 0}
			}
		}
	case CheckDivergence:
		r.Needed = g.b()
	case SyncSlots:
		if g.b() {
			r.Slots = []string{"s1"}
		}
	}
	return r
}

// checkCycle runs one full cycle with random gate results and checks the invariants
// every cycle must keep.
func checkCycle(t testing.TB, seed uint64) {
	g := garbage{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	name := g.str("node1", "node2", "node3")
	v := g.view()
	in := Input{View: v, ViewErr: v == nil, Local: g.local(name), Settings: g.settings(), Now: scenarioNow}
	lastView := v
	lockConfirmed := false
	for phase := 0; ; phase++ {
		if phase > 60 {
			t.Fatalf("seed %d: more than 60 phases", seed)
		}
		p := Decide(in)
		if p.Message == MsgUnexpected {
			t.Fatalf("seed %d: %s", seed, p.Logs[len(p.Logs)-1].Msg)
		}
		for _, a := range p.Actions {
			if ra, ok := a.(RunAsync); ok {
				if _, isPromote := ra.Task.(Promote); isPromote {
					if !lockConfirmed || lastView == nil || !lastView.HasLock(name) {
						t.Fatalf("seed %d: Promote without holding the lock (confirmed=%v)", seed, lockConfirmed)
					}
				}
			}
		}
		if p.Gate == nil {
			if strings.HasPrefix(p.Message, "PAUSE: ") != in.Settings.Paused {
				t.Fatalf("seed %d: PAUSE prefix mismatch: %q", seed, p.Message)
			}
			return
		}
		r := g.result(p.Gate, lastView)
		switch p.Gate.(type) {
		case AcquireLock, UpdateLock:
			lockConfirmed = r.OK && !r.DCSError && scenarioNow.Sub(r.Started) < in.Settings.TTL
		case ReloadView:
			if !r.DCSError {
				lastView = r.View
			}
		}
		in.Results = append(in.Results, r)
	}
}

func TestDecideGarbageInputs(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for seed := range uint64(n) {
		checkCycle(t, seed)
	}
}

func FuzzDecide(f *testing.F) {
	for i := range 16 {
		f.Add(uint64(i) * 7919)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { checkCycle(t, seed) })
}

// TestDecideIsDeterministic: the same input gives the same plan (replay relies on it).
func TestDecideIsDeterministic(t *testing.T) {
	for seed := range uint64(500) {
		g := garbage{rand.New(rand.NewPCG(seed, 1))}
		in := Input{View: g.view(), Local: g.local("node2"), Settings: g.settings(), Now: scenarioNow}
		in.ViewErr = in.View == nil
		a, b := Decide(in), Decide(in)
		if fmt.Sprint(a.Actions, a.Gate, a.Message) != fmt.Sprint(b.Actions, b.Gate, b.Message) {
			t.Fatalf("seed %d: nondeterministic plan", seed)
		}
	}
}

// TestGateResultMismatch: a result that does not answer the gate is a bug report, not a
// panic.
func TestGateResultMismatch(t *testing.T) {
	in := Input{View: &cluster.View{}, Local: Local{Name: "n", CallbackFired: true, PG: PGState{Running: true, Sysid: defaultSysid}},
		Settings: Settings{TTL: 30 * time.Second}, Now: scenarioNow,
		Results: []Result{{Gate: "TakeLeader"}}}
	p := Decide(in)
	if p.Message != MsgUnexpected {
		t.Fatalf("got %q", p.Message)
	}
}
