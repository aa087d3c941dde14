package ha

import (
	"fmt"
	"slices"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// scriptedExecutor answers gates from the scenario's script and keeps a tiny copy of
// the DCS so that ReloadView reflects the writes of the cycle.
type scriptedExecutor struct {
	sc   scenario
	view *cluster.View
	used map[string]int
	me   string
}

func cloneView(v *cluster.View) *cluster.View {
	cp := *v
	cp.Members = slices.Clone(v.Members)
	if v.Leader != nil {
		l := *v.Leader
		cp.Leader = &l
	}
	if v.Failover != nil {
		f := *v.Failover
		cp.Failover = &f
	}
	return &cp
}

// outcome returns the next scripted outcome for a gate, or def.
func (e *scriptedExecutor) outcome(name, def string) string {
	list := e.sc.Results[name]
	i := e.used[name]
	e.used[name]++
	if i < len(list) {
		return list[i]
	}
	if len(list) > 0 {
		return list[len(list)-1]
	}
	return def
}

func (e *scriptedExecutor) takeLock() {
	version := int64(1)
	if e.view.Leader != nil {
		version = e.view.Leader.Version + 1
	}
	e.view.Leader = &cluster.Leader{Name: e.me, Version: version, Member: e.view.Member(e.me)}
}

func (e *scriptedExecutor) gate(g Gate) (Result, string) {
	name := gateName(g)
	r := Result{Gate: name, Started: scenarioNow}
	out := e.outcome(name, "ok")
	switch out {
	case "ok", "needed":
		r.OK = true
	case "ok-stale": // succeeded, but the executor stalled: started more than ttl ago
		r.OK, r.Started = true, scenarioNow.Add(-40*time.Second)
	case "dcs-error":
		r.DCSError = true
	}
	switch g := g.(type) {
	case AcquireLock, TakeLeader:
		if r.OK {
			e.takeLock()
		}
	case ReloadView:
		switch e.sc.ReloadLeader {
		case "":
		case "none":
			e.view.Leader = nil
		default:
			e.view.Leader = &cluster.Leader{Name: e.sc.ReloadLeader, Version: 99, Member: e.view.Member(e.sc.ReloadLeader)}
		}
		if !r.DCSError {
			r.View = cloneView(e.view)
		}
	case WriteSync:
		if r.OK {
			e.view.Sync = cluster.SyncState{Leader: g.Leader, SyncStandby: g.Standbys, Version: e.view.Sync.Version + 1, Present: true}
			r.SyncVersion = e.view.Sync.Version
		}
	case DeleteSync:
		if r.OK {
			e.view.Sync = cluster.SyncState{}
		}
	case FetchPeers:
		r.Peers = map[string]PeerStatus{}
		for n, p := range e.sc.Peers {
			r.Peers[n] = p.build()
		}
		out = fmt.Sprintf("%d answers", len(e.sc.Peers))
	case CheckDivergence:
		r.Needed = out == "needed"
		if out == "ok" {
			out = "not needed"
		}
	case SyncSlots:
		r.Slots = e.sc.Slots
	}
	return r, out
}

func (e *scriptedExecutor) apply(a Action) {
	switch a := a.(type) {
	case DeleteLock:
		e.view.Leader = nil
	case SetFailover:
		if a.Failover.IsEmpty() {
			e.view.Failover = nil
		} else {
			f := a.Failover
			e.view.Failover = &f
		}
	case WriteInitialize:
		s := a.Sysid
		e.view.Initialize = &s
	case CancelInitialization:
		e.view.Initialize = nil
	}
}
