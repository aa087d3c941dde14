package ha

import (
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// cycle runs all phases of one cycle, answering gates with answer.
func cycle(t *testing.T, in Input, answer func(Gate) Result) (Plan, []Action) {
	t.Helper()
	var all []Action
	for range 50 {
		p := Decide(in)
		all = append(all, p.Actions...)
		if p.Gate == nil {
			return p, all
		}
		all = append(all, p.Gate)
		r := answer(p.Gate)
		r.Gate = gateName(p.Gate)
		in.Results = append(in.Results, r)
	}
	t.Fatal("too many phases")
	return Plan{}, nil
}

func okAnswer(Gate) Result { return Result{OK: true, Started: scenarioNow} }

// TestFailsafeUsesWrittenTopology: sim seed 7297. The failsafe round after a DCS
// failure must POST to the members the leader last wrote to /failsafe, not to the
// older map it read.
func TestFailsafeUsesWrittenTopology(t *testing.T) {
	sc := scenario{Name: "x", Settings: scSettings{Failsafe: true},
		View: scView{Leader: "node1", Failsafe: map[string]string{"node1": "http://node1:8008/patroni"},
			Members: []scMember{{Name: "node1", Role: "primary"}, {Name: "node2"}}},
		Local: scLocal{Name: "node1", PG: scPG{Primary: true, WAL: 5000}, Memory: scMemory{LockRenewed: "-3s"}}}
	v := sc.View.build()
	in := Input{View: v, Local: sc.Local.build(v), Settings: sc.Settings.build(), Now: scenarioNow}
	p, _ := cycle(t, in, okAnswer)
	if len(p.Memory.LastFailsafe) != 2 {
		t.Fatalf("LastFailsafe = %v, want node1 and node2", p.Memory.LastFailsafe)
	}
	in2 := Input{ViewErr: true, Local: in.Local, Settings: in.Settings, Now: scenarioNow.Add(3 * time.Second)}
	in2.Local.Memory = p.Memory
	_, acts := cycle(t, in2, func(g Gate) Result {
		if pf, ok := g.(PostFailsafe); ok && len(pf.Members) != 2 {
			t.Fatalf("PostFailsafe members %v", pf.Members)
		}
		return Result{OK: false, Started: scenarioNow.Add(3 * time.Second)}
	})
	if !hasAction[Demote](acts) {
		t.Fatalf("expected a demotion when a listed member does not accept: %v", acts)
	}
}

func hasAction[T Action](acts []Action) bool {
	for _, a := range acts {
		if _, ok := a.(T); ok {
			return true
		}
	}
	return false
}

// TestIsLeaderCountsFromStart: is_leader expires ttl after the lock operation
// *started*, so a slow (or frozen) executor cannot stretch its lease.
func TestIsLeaderCountsFromStart(t *testing.T) {
	v := &cluster.View{Leader: &cluster.Leader{Name: "n"}}
	d := newDecider(Input{View: v, Local: Local{Name: "n"}, Settings: Settings{TTL: 30 * time.Second}, Now: scenarioNow})
	d.setIsLeader(true, scenarioNow.Add(-29*time.Second))
	if !d.isLeader() {
		t.Fatal("renewed 29 s ago must still be leader")
	}
	d.setIsLeader(true, scenarioNow.Add(-30*time.Second))
	if d.isLeader() {
		t.Fatal("renewed 30 s ago (ttl) must not be leader")
	}
	d.setIsLeader(true, scenarioNow)
	d.v = &cluster.View{Leader: &cluster.Leader{Name: "other"}}
	if d.isLeader() {
		t.Fatal("a view showing another holder must end is_leader")
	}
}

// TestPhasesReturnEachActionOnce: replaying a cycle with growing results never repeats
// an action that an earlier phase returned.
func TestPhasesReturnEachActionOnce(t *testing.T) {
	sc := scenario{View: scView{Members: []scMember{{Name: "node2"}, {Name: "node3"}}, Initialize: nil},
		Local: scLocal{Name: "node2", PG: scPG{WAL: 5000, Following: "node1"}}}
	v := sc.View.build()
	in := Input{View: v, Local: sc.Local.build(v), Settings: sc.Settings.build(), Now: scenarioNow}
	_, acts := cycle(t, in, func(g Gate) Result {
		r := Result{OK: true, Started: scenarioNow}
		if _, ok := g.(ReloadView); ok {
			r.View = &cluster.View{Leader: &cluster.Leader{Name: "node2"}, Members: v.Members, Initialize: v.Initialize, Config: v.Config}
		}
		return r
	})
	promotes := 0
	for _, a := range acts {
		if ra, ok := a.(RunAsync); ok && ra.Name == "promote" {
			promotes++
		}
	}
	if promotes != 1 {
		t.Fatalf("promote emitted %d times: %v", promotes, acts)
	}
}
