package sim

import (
	"fmt"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/ha"
)

// task is the single background slot of a member.
type task struct {
	name   string
	cancel bool
}

// node is one member: its machine, its PostgreSQL and its Patroni executor (the
// imperative shell around ha.Decide).
type node struct {
	w    *World
	idx  int
	name string
	pg   *pgServer

	up       bool // machine (and Patroni) running
	gen      int  // bumped when the machine or Patroni restarts: old events are dropped
	frozen   bool
	wholeVM  bool // the freeze also stops PostgreSQL
	resumed  time.Time
	deferred []*event

	dcsCut        bool
	freezeAtPhase time.Duration // freeze between a gate's result and the next Decide
	pendingWrites int
	lag           time.Duration

	clockRate   float64
	clockOffset time.Duration

	// Patroni executor state.
	mem       ha.Memory
	role      cluster.Role
	state     string
	since     time.Time
	async     *task
	response  ha.ResponseState
	prePromo  bool
	completed []ha.TaskResult
	cbFired   bool
	failsafe  *ha.FailsafeSender

	watchdogOn    bool
	lastKeepalive time.Time

	// renewReal is the real time at which the last successful lock operation (or
	// failsafe confirmation) started; invariants use it.
	renewReal  time.Time
	sleeping   bool
	sleepToken int
	// acquireOptime/acquireManual: /status optime and failover key when the lock was won.
	acquireOptime int64
	acquireManual bool
	acquireForced bool
	wakeAt        time.Time
	cycleStart    time.Time
	cycleReal     time.Time
	inCycle       bool
}

func newNode(w *World, i int) *node {
	n := &node{w: w, idx: i, name: fmt.Sprintf("node%d", i+1)}
	n.pg = &pgServer{name: n.name, empty: true, tl: 1}
	n.clockRate = 1 + (w.rng.Float64()-0.5)*2e-4 // ±100 ppm
	n.clockOffset = time.Duration(w.rng.IntN(1000)-500) * time.Millisecond
	n.lag = time.Duration(w.rng.IntN(300)) * time.Millisecond
	return n
}

// localNow is this member's wall clock.
func (n *node) localNow() time.Time {
	real := n.w.now.Sub(n.w.start)
	return n.w.start.Add(time.Duration(float64(real)*n.clockRate) + n.clockOffset)
}

// realDur converts a duration measured on this member's clock to real time.
func (n *node) realDur(d time.Duration) time.Duration { return time.Duration(float64(d) / n.clockRate) }

func (n *node) settings() ha.Settings {
	c := n.w.cfg
	s := ha.Settings{TTL: c.TTL, LoopWait: c.LoopWait, RetryTimeout: c.RetryTimeout,
		MaximumLagOnFailover: c.MaxLag, PrimaryStartTimeout: 300 * time.Second, SynchronousModeStrict: c.Strict,
		SynchronousNodeCount: max(c.SyncCount, 1), FailsafeMode: c.Failsafe, UsePgRewind: true,
		HasBootstrapSection: true, Tags: ha.LocalTags{FailoverPriority: 1}}
	if c.Sync {
		s.SynchronousMode = ha.SyncOn
	}
	if c.Watchdog {
		s.Watchdog = ha.WatchdogRequired
	}
	return s
}

// boot starts the machine: Patroni with fresh memory; PostgreSQL is not running.
func (n *node) boot(delay time.Duration) {
	n.gen++
	n.up, n.frozen, n.deferred = true, false, nil
	n.mem, n.async, n.response, n.completed, n.cbFired, n.failsafe = ha.Memory{}, nil, ha.ResponseNone, nil, false, nil
	n.role, n.state, n.since = cluster.RoleUninitialized, "stopped", n.localNow()
	if !n.pg.empty {
		n.role = cluster.RoleReplica
		if n.pg.control == "in production" || n.pg.control == "shut down" {
			n.role = cluster.RoleDemoted
		}
	}
	if n.pg.running { // Patroni restarted while PostgreSQL kept running
		n.state = "running"
		n.role = map[bool]cluster.Role{true: cluster.RolePrimary, false: cluster.RoleReplica}[n.pg.primary]
	}
	if !n.pg.running {
		// A restarted Patroni with PostgreSQL still running keeps the armed watchdog
		// (the device was not closed cleanly) and, for the invariants, the machine's
		// last lock renewal.
		n.watchdogOn, n.renewReal = false, time.Time{}
	}
	n.inCycle, n.sleeping = false, false
	n.w.after(delay, n.idx, n.cycle)
}

// wake runs the next cycle now if the member is sleeping (DCS watch).
func (n *node) wake() {
	if n.up && n.sleeping && !n.frozen {
		n.sleeping = false
		n.w.after(time.Millisecond, n.idx, n.cycle)
	}
}

// cycle is one HA loop iteration: load, then Decide phases until the plan is final.
func (n *node) cycle() {
	if n.inCycle || !n.up {
		return
	}
	n.sleeping, n.inCycle = false, true
	n.cycleStart, n.cycleReal = n.localNow(), n.w.now
	in := ha.Input{Settings: n.settings(), Now: n.cycleStart}
	if n.dcsReachable() {
		in.View = n.w.dcs.view()
		n.w.after(10*time.Millisecond, n.idx, func() { n.phase(in) })
		return
	}
	in.ViewErr = true
	n.w.after(n.w.cfg.RetryTimeout, n.idx, func() { n.phase(in) })
}

func (n *node) dcsReachable() bool { return n.up && !n.frozen && !n.dcsCut && !n.w.dcs.down }

// stalled: the cycle took far longer than any legitimate cycle (the process was
// frozen); the rest of the plan is built on stale facts and must not run.
func (n *node) stalled() bool {
	if n.w.cfg.NoStallGuard {
		return false
	}
	return n.localNow().Sub(n.cycleStart) > n.w.cfg.TTL/2+4*n.w.cfg.RetryTimeout
}

// phase runs Decide once and carries out its actions and gate.
func (n *node) phase(in ha.Input) {
	if d := n.freezeAtPhase; d > 0 && len(in.Results) > 0 {
		n.freezeAtPhase = 0
		n.w.tracef("FAULT: %s freezes mid-cycle after %v for %v", n.name, in.Results[len(in.Results)-1].Gate, d)
		n.frozen, n.wholeVM = true, true
		n.w.after(d, -1, func() { n.w.unfreeze(n) })
		n.w.at(n.w.now, n.idx, func() { n.phase(in) })
		return
	}
	if len(in.Results) == 0 {
		in.Local = n.observe(in.View)
	}
	if n.stalled() {
		n.w.tracef("%s: cycle stalled, discarding the rest of the plan", n.name)
		n.mem.LockRenewedAt = time.Time{}
		n.endCycle(0)
		return
	}
	p := ha.Decide(in)
	if p.Message == ha.MsgUnexpected {
		n.w.failf("%s: Decide reported a bug: %v", n.name, p.Logs)
		return
	}
	if n.w.cfg.Trace {
		for _, l := range p.Logs {
			n.w.tracef("%s:   %s", n.name, l.Msg)
		}
	}
	delay := time.Duration(0)
	for _, a := range p.Actions {
		delay += n.execute(a, in.View)
	}
	if p.Gate == nil {
		n.finish(p, in)
		n.endCycle(delay)
		return
	}
	r, lat := n.runGate(p.Gate, in)
	in.Results = append(in.Results, r)
	n.w.after(delay+lat, n.idx, func() { n.phase(in) })
}

func (n *node) finish(p ha.Plan, in ha.Input) {
	if !p.Memory.FailsafeActiveAt.IsZero() && p.Memory.FailsafeActiveAt.Equal(in.Now) {
		n.renewReal = n.w.now // single-member /failsafe: nobody else can take over
	}
	n.mem = p.Memory
	n.completed = nil
	if p.TouchMember && n.dcsReachable() {
		n.w.dcs.touch(n.name, n.memberData())
	}
	n.w.tracef("%s: %s", n.name, p.Message)
}

func (n *node) endCycle(delay time.Duration) {
	n.inCycle = false
	next := n.cycleStart.Add(n.w.cfg.LoopWait)
	wait := n.realDur(next.Sub(n.localNow()))
	if wait < delay {
		wait = delay
	}
	n.sleeping = true
	n.sleepToken++
	token := n.sleepToken
	n.w.after(max(wait, time.Millisecond), n.idx, func() {
		if n.sleeping && n.sleepToken == token {
			n.sleeping = false
			n.cycle()
		}
	})
}

func (n *node) memberData() cluster.MemberData {
	d := cluster.MemberData{ConnURL: "postgres://" + n.name, APIURL: "http://" + n.name + "/patroni",
		State: n.state, Role: n.role, Version: "4.1.4"}
	if n.pg.running && (n.async == nil || n.async.name == "promote") {
		x := n.pg.lsn()
		tl := n.pg.lastTL()
		if n.pg.primary {
			tl = n.pg.tl
		}
		d.XLogLocation, d.Timeline = &x, &tl
	}
	return d
}

// observe builds ha.Local from the fake PostgreSQL and the executor state.
func (n *node) observe(v *cluster.View) ha.Local {
	now := n.w.now
	pg := n.pg
	if n.state == "starting" && pg.ready(now) {
		n.setState("running")
	}
	l := ha.Local{Name: n.name, APIURL: "http://" + n.name + "/patroni", ConnURL: "postgres://" + n.name,
		Completed: n.completed, FailsafeLeader: n.failsafe, WatchdogRunning: n.watchdogOn,
		WatchdogHealthy: true, CallbackFired: n.cbFired, Memory: n.mem}
	l.PG = ha.PGState{DataDirEmpty: pg.empty, Running: pg.running, State: n.state, StateSince: n.since,
		Role: n.role, IsPrimary: pg.primary && pg.ready(now), Timeline: pg.lastTL(), WALPosition: pg.lsn(),
		Sysid: pg.sysid, ClusterState: pg.control, RecoveryConfExists: !pg.primary && !pg.empty,
		MajorVersion: 15, ServerVersion: 150004, CanRewind: true, CheckpointAfterPromoteDone: true,
		FollowingName: pg.upstream}
	if pg.primary {
		l.PG.Timeline = pg.tl
	}
	if n.async != nil {
		l.Async = ha.AsyncState{Action: n.async.name, PrePromoteDone: n.prePromo}
	}
	l.Async.Response = n.response
	if pg.primary && pg.running {
		l.Sync = n.w.replicationRows(n)
	}
	return l
}

func (n *node) setState(s string) {
	if n.state != s {
		n.state, n.since = s, n.localNow()
	}
}

// believes: Patroni's own is_leader (the lock was renewed less than ttl ago, local clock).
func (n *node) believes() bool {
	t := n.mem.LockRenewedAt
	return n.up && !t.IsZero() && n.localNow().Before(t.Add(n.w.cfg.TTL))
}
