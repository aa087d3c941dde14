package sim

import (
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/ha"
)

const dcsLatency = 10 * time.Millisecond

// runGate performs a gate and reports its result and how long it took.
func (n *node) runGate(g ha.Gate, in ha.Input) (ha.Result, time.Duration) {
	r := ha.Result{Gate: gateName(g), Started: n.localNow()}
	startReal := n.w.now
	d := n.w.dcs
	switch g := g.(type) {
	case ha.AcquireLock, ha.UpdateLock, ha.TakeLeader, ha.ReloadView, ha.InitializeRace, ha.WriteSync, ha.DeleteSync:
		if !n.dcsReachable() {
			r.DCSError = true
			return r, n.w.cfg.RetryTimeout
		}
		switch g := g.(type) {
		case ha.AcquireLock:
			r.OK = d.acquire(n.name)
		case ha.UpdateLock:
			r.OK = d.update(n.name)
			if r.OK && g.WriteStatus && n.pg.running {
				d.optime = n.pg.lsn()
			}
			if r.OK && g.Failsafe != nil {
				d.failsafe = g.Failsafe
				n.w.tracef("%s wrote /failsafe %v", n.name, g.Failsafe)
			}
		case ha.TakeLeader:
			r.OK = d.take(n.name)
		case ha.ReloadView:
			r.View = d.view()
		case ha.InitializeRace:
			r.OK = d.initRace()
		case ha.WriteSync:
			r.SyncVersion, r.OK = d.writeSync(cluster.SyncState{Leader: g.Leader, SyncStandby: g.Standbys}, g.Version)
		case ha.DeleteSync:
			r.OK = d.deleteSync(g.Version)
		}
		if r.OK {
			switch g.(type) {
			case ha.AcquireLock, ha.UpdateLock, ha.TakeLeader:
				n.renewReal = startReal
				n.w.checkAcquire(n, g)
			}
		}
		return r, dcsLatency
	case ha.FetchPeers:
		return n.fetchPeers(g.Names)
	case ha.PostFailsafe:
		return n.postFailsafe(g.Members, startReal)
	case ha.CheckDivergence:
		if l := n.w.node(g.Leader); l != nil && n.w.linked(n, l) && l.pg.running {
			r.Needed = !isPrefix(n.pg.wal, l.pg.wal)
		}
		return r, dcsLatency
	case ha.ActivateWatchdog:
		r.OK = true
		n.watchdogOn, n.lastKeepalive = n.w.cfg.Watchdog, n.w.now
		return r, 0
	case ha.SyncSlots:
		return r, 0
	}
	r.OK = true
	return r, 0
}

func gateName(g ha.Gate) string {
	s := g.String()
	if i := strings.IndexByte(s, '{'); i >= 0 {
		return s[:i]
	}
	return s
}

func (n *node) fetchPeers(names []string) (ha.Result, time.Duration) {
	r := ha.Result{Gate: "FetchPeers", OK: true, Peers: map[string]ha.PeerStatus{}}
	lat := dcsLatency
	for _, name := range names {
		p := n.w.node(name)
		if p == nil || !n.w.linked(n, p) {
			lat = 2 * time.Second
			continue
		}
		st := ha.PeerStatus{Reachable: true, InRecovery: !(p.pg.primary && p.pg.running), Timeline: p.pg.lastTL(), Priority: 1}
		if st.InRecovery && p.pg.running {
			st.WALPosition = p.pg.lsn()
		}
		if !p.pg.running {
			st.Reachable = false // Patroni answers, but without xlog: "not healthy"
		}
		r.Peers[name] = st
	}
	return r, lat
}

func (n *node) postFailsafe(members cluster.Failsafe, startReal time.Time) (ha.Result, time.Duration) {
	r := ha.Result{Gate: "PostFailsafe", OK: true}
	lat := dcsLatency
	for _, name := range sortedNames(members) {
		if name == n.name {
			continue
		}
		p := n.w.node(name)
		if p == nil || !n.w.linked(n, p) || (p.pg.primary && p.pg.running && p.role == cluster.RolePrimary) {
			r.OK, lat = false, 4*time.Second
			continue
		}
		p.failsafe = &ha.FailsafeSender{Name: n.name, APIURL: "http://" + n.name + "/patroni",
			ConnURL: "postgres://" + n.name, At: p.localNow()}
	}
	if r.OK {
		n.renewReal = startReal
	}
	return r, lat
}

// execute carries out one action and returns the extra time it takes (Sleep).
func (n *node) execute(a ha.Action, v *cluster.View) time.Duration {
	d := n.w.dcs
	reach := n.dcsReachable()
	switch a := a.(type) {
	case ha.TouchMember:
		if reach {
			d.touch(n.name, n.memberData())
		}
	case ha.WriteInitialize:
		if reach {
			s := a.Sysid
			d.initialize = &s
		}
	case ha.WriteConfig:
		if reach {
			d.config = true
		}
	case ha.CancelInitialization:
		if reach {
			d.initialize = nil
		}
	case ha.SetFailover:
		if reach {
			d.setFailover(a.Failover, a.Version)
		}
	case ha.DeleteLock:
		n.renewReal = time.Time{}
		if reach {
			if a.LastLSN != 0 {
				d.optime = a.LastLSN
			}
			d.deleteLeader(n.name)
			d.touch(n.name, n.memberData())
		}
	case ha.UpdateHistory:
		if reach {
			d.history = n.history()
		}
	case ha.RunAsync:
		n.startTask(a.Name, a.Task)
	case ha.Sleep:
		return n.realDur(a.For)
	default:
		n.executeLocal(a)
	}
	return 0
}

func (n *node) executeLocal(a ha.Action) {
	pg := n.pg
	switch a := a.(type) {
	case ha.Follow: // reload: only the upstream changes
		pg.upstream = a.Target
		n.role = a.Role
	case ha.Demote:
		n.demote(a.Mode)
	case ha.SetRole:
		n.role = a.Role
	case ha.SetState:
		n.setState(a.State)
	case ha.StopPostgres:
		pg.stop(true)
	case ha.SetSyncStandbyNames:
		pg.setSSN(a.Names, a.Num)
	case ha.RestoreUserSyncStandbyNames:
		if !n.w.cfg.Sync {
			pg.setSSN(nil, 0)
		}
	case ha.GenerateWAL:
		n.w.appendRec(n, false)
	case ha.FireCallback:
		n.cbFired = true
	case ha.KeepaliveWatchdog:
		n.lastKeepalive = n.w.now
	case ha.DisableWatchdog:
		n.watchdogOn = false
	case ha.CancelAsync:
		if n.async != nil {
			n.async.cancel = true
			n.async = nil
			if a.TerminateStarting && pg.running && !pg.ready(n.w.now) {
				pg.crash()
			}
		}
	case ha.ResetResponse:
		n.response = ha.ResponseNone
	case ha.MoveDataDir:
		*pg = pgServer{name: pg.name, empty: true, tl: 1}
	case ha.Exit:
		n.w.tracef("%s: Patroni exits: %s", n.name, a.Reason)
		n.restartPatroni(5 * time.Second)
	}
}

// history renders the timeline history the primary's WAL proves.
func (n *node) history() *cluster.History {
	h := &cluster.History{}
	prev := int64(0)
	for i, r := range n.pg.wal {
		if prev != 0 && r.tl != prev {
			h.Lines = append(h.Lines, cluster.NewHistoryLine(prev, int64(i), "promoted", "", n.name))
		}
		prev = r.tl
	}
	return h
}

// demote is the executor's implementation of Patroni's demote(mode).
func (n *node) demote(mode ha.DemoteMode) {
	n.w.stats.Demotions++
	pg := n.pg
	immediate := mode == ha.DemoteImmediate || mode == ha.DemoteImmediateNoLock
	pg.stop(immediate)
	n.role, n.watchdogOn = cluster.RoleDemoted, false
	n.setState("stopped")
	if mode == ha.DemoteImmediate || mode == ha.DemoteGraceful {
		n.renewReal = time.Time{}
		if n.dcsReachable() {
			n.w.dcs.optime = max(n.w.dcs.optime, pg.lsn())
			n.w.dcs.deleteLeader(n.name)
		}
	}
	if mode == ha.DemoteImmediateNoLock || mode == ha.DemoteOffline {
		n.renewReal = time.Time{}
	}
	if n.w.cfg.Sync {
		pg.setSSN(nil, 0)
	}
	target := ""
	if mode != ha.DemoteOffline && n.dcsReachable() {
		target, _ = ha.NodeToFollow(n.w.dcs.view(), n.name, ptr(n.settings()))
	}
	if immediate {
		if n.async == nil {
			n.startTask("starting after demotion", ha.Follow{Target: target, Role: cluster.RoleReplica})
		}
		return
	}
	n.startPG(true, target)
}

func ptr[T any](v T) *T { return &v }

// startPG starts PostgreSQL (as replica following target, or as primary).
func (n *node) startPG(asReplica bool, target string) {
	n.pg.start(n.w.now, 300*time.Millisecond, asReplica, target)
	n.setState("starting")
	if asReplica {
		n.role = cluster.RoleReplica
	}
}
