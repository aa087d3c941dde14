package sim

import (
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// faultKinds are chosen uniformly; some need a watchdog to be survivable at all.
const (
	faultCrash = iota
	faultFreezeVM
	faultFreezePatroni // needs a watchdog: PostgreSQL keeps running
	faultPartitionDCS
	faultPartitionPeers
	faultDCSOutage
	faultSlowReplication
	faultKillPatroni // needs a watchdog
	faultFreezeMidCycle
	faultSwitchover // patronictl switchover/failover: writes the failover key
	numFaults
)

func (w *World) scheduleFaults() {
	t := w.start.Add(20 * time.Second) // let the cluster bootstrap first
	end := w.start.Add(w.cfg.FaultPhase)
	for {
		t = t.Add(time.Duration(w.rng.ExpFloat64() * float64(w.cfg.MeanFaultGap)))
		if !t.Before(end) {
			return
		}
		kind := w.rng.IntN(numFaults)
		if (kind == faultFreezePatroni || kind == faultKillPatroni) && !w.cfg.Watchdog {
			kind = faultFreezeVM
		}
		victim := w.rng.IntN(len(w.nodes))
		other := w.rng.IntN(len(w.nodes))
		dur := time.Duration(2+w.rng.IntN(60)) * time.Second
		w.at(t, -1, func() { w.inject(kind, victim, other, dur) })
	}
}

func (w *World) inject(kind, victim, other int, dur time.Duration) {
	n := w.nodes[victim]
	switch kind {
	case faultCrash:
		if n.up {
			w.tracef("FAULT: crash %s for %v", n.name, dur)
			w.crash(n, dur)
		}
	case faultFreezeVM, faultFreezePatroni:
		if n.up && !n.frozen {
			w.tracef("FAULT: freeze %s (whole machine %v) for %v", n.name, kind == faultFreezeVM, dur)
			n.frozen, n.wholeVM = true, kind == faultFreezeVM
			w.after(dur, -1, func() { w.unfreeze(n) })
		}
	case faultPartitionDCS:
		w.tracef("FAULT: %s cut from the DCS for %v", n.name, dur)
		n.dcsCut = true
		w.after(dur, -1, func() { n.dcsCut = false })
	case faultPartitionPeers:
		o := w.nodes[other]
		if o == n {
			return
		}
		k := [2]int{min(n.idx, o.idx), max(n.idx, o.idx)}
		w.tracef("FAULT: link %s-%s down for %v", n.name, o.name, dur)
		w.cut[k] = true
		w.after(dur, -1, func() { delete(w.cut, k) })
	case faultDCSOutage:
		w.tracef("FAULT: DCS outage for %v", dur)
		w.dcs.down = true
		w.after(dur, -1, func() { w.dcs.down = false })
	case faultSlowReplication:
		w.tracef("FAULT: slow replication to %s for %v", n.name, dur)
		old := n.lag
		n.lag = dur / 2
		w.after(dur, -1, func() { n.lag = old })
	case faultFreezeMidCycle:
		if n.up && !n.frozen {
			w.tracef("FAULT: %s will freeze (whole machine) at its next phase for %v", n.name, 2*dur)
			n.freezeAtPhase = 2 * dur
		}
	case faultSwitchover:
		w.requestSwitchover(n, dur)
	case faultKillPatroni:
		if n.up && !n.frozen {
			w.tracef("FAULT: Patroni on %s killed, restarts in %v", n.name, dur/4)
			n.restartPatroni(dur / 4)
		}
	}
}

// crash kills the machine; it boots again after d.
func (w *World) crash(n *node, d time.Duration) {
	n.pg.crash()
	n.up, n.frozen, n.deferred, n.watchdogOn = false, false, nil, false
	n.renewReal = time.Time{}
	n.gen++
	gen := n.gen
	w.after(d, -1, func() {
		if n.gen == gen && !n.up {
			n.boot(0)
		}
	})
}

func (w *World) unfreeze(n *node) {
	if !n.frozen {
		return
	}
	n.frozen = false
	if n.wholeVM {
		n.resumed = w.now
	}
	w.tracef("%s resumes", n.name)
	for _, e := range n.deferred {
		if e.gen == n.gen {
			w.at(w.now, e.owner, e.fn)
		}
	}
	n.deferred = nil
}

// heal ends every fault and boots every machine that is down.
func (w *World) heal() {
	w.tracef("HEAL")
	w.dcs.down = false
	clear(w.cut)
	for _, n := range w.nodes {
		n.dcsCut, n.freezeAtPhase = false, 0
		if n.frozen {
			w.unfreeze(n)
		}
		if !n.up {
			n.boot(0)
		}
	}
	w.healedAt = w.now
}

// requestSwitchover writes the failover key like patronictl: a switchover from the
// current leader to victim (or to anyone), sometimes scheduled, sometimes a manual
// failover without a leader.
func (w *World) requestSwitchover(candidate *node, dur time.Duration) {
	d := w.dcs
	if !d.holds(d.leader) || d.hasFailKey {
		return
	}
	f := cluster.Failover{Leader: d.leader}
	switch w.rng.IntN(4) {
	case 0:
		f.Member = ""
	case 1:
		f.Leader, f.Member = "", candidate.name
	default:
		f.Member = candidate.name
	}
	if f.Member == d.leader {
		return
	}
	if w.rng.IntN(3) == 0 {
		t := w.nodes[0].localNow().Add(dur / 4)
		f.ScheduledAt = &t
	}
	w.tracef("FAULT: failover key %+v", f)
	d.setFailover(f, -1)
}
