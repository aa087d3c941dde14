package sim

import (
	"time"

	"github.com/patroni-go/patroni/internal/ha"
)

// The invariants (checked every 100 ms of simulated time and at every promotion):
//
// I1 single writer: at no instant do two members' PostgreSQL accept writes, unless one
//    of them is excused (see I2).
// I2 lease bound: a member whose PostgreSQL accepts writes started a successful lock
//    operation (acquire/update/take, or a failsafe confirmation by all members) less
//    than ttl ago (real time; ttl is also the DCS lease). Excused: a member that
//    resumed from a whole-machine freeze less than ResumeWindow ago (its PostgreSQL
//    was frozen too and nothing but a watchdog-less fencing could have stopped it; the
//    window is how long the resumed Patroni takes to notice), and a member
//    bootstrapping a new cluster (initialize is "" so nobody else can lead).
// I3 lag bound: a member promoted by automatic failover has a WAL position within
//    maximum_lag_on_failover of the /status optime when it acquired the lock.
// I4 durability (synchronous mode): every commit acknowledged to a client is in the
//    WAL of every member that is promoted afterwards, and of the final primary. A
//    manual failover (failover key without a leader) may pick an asynchronous member
//    by design; what it lacks is counted (Stats.LostManual) and forgotten. Commits a
//    primary acknowledges while it is excused under I2 are not guaranteed either
//    (Stats.UnsafeAcks): only fencing could stop it.
// I5 liveness: after all faults heal, some member holds the lock and accepts writes
//    within LivenessBound.

// ResumeWindow bounds how long a member resumed from a whole-machine freeze may keep
// accepting writes before its Patroni demotes it.
func (c Config) ResumeWindow() time.Duration { return c.LoopWait + 3*c.RetryTimeout + 2*time.Second }

// LivenessBound is the time after healing within which a writable leader must exist:
// ttl (the old lease expires) + 2 × loop_wait (a cycle to notice, one to act) +
// retry_timeout + 15 s (restart, crash recovery, rewind and promotion in the sim).
func (c Config) LivenessBound() time.Duration {
	return c.TTL + 2*c.LoopWait + c.RetryTimeout + 15*time.Second
}

func (w *World) excused(n *node) bool {
	if !n.resumed.IsZero() && w.now.Sub(n.resumed) < w.cfg.ResumeWindow() {
		return true
	}
	init := w.dcs.initialize
	return init != nil && *init == "" && w.dcs.leader == ""
}

func (w *World) writable(n *node) bool {
	return n.pg.writable(w.now) && !(n.frozen && n.wholeVM)
}

func (w *World) checkInvariants() {
	var writers []*node
	for _, n := range w.nodes {
		if !w.writable(n) {
			continue
		}
		// A resumed member still writable without a renewal since it woke up.
		if !n.resumed.IsZero() && n.renewReal.Before(n.resumed) {
			w.stats.MaxResumeWindow = max(w.stats.MaxResumeWindow, w.now.Sub(n.resumed))
		}
		if w.excused(n) {
			continue
		}
		writers = append(writers, n)
		if since := w.now.Sub(n.renewReal); n.renewReal.IsZero() || since >= w.cfg.TTL {
			w.failf("I2: %s accepts writes but its last lock renewal started %v ago (ttl %v)", n.name, since, w.cfg.TTL)
		}
	}
	if len(writers) > 1 {
		w.failf("I1: %s and %s both accept writes", writers[0].name, writers[1].name)
	}
	if !w.healedAt.IsZero() && w.liveAt.IsZero() {
		for _, n := range writers {
			if w.dcs.holds(n.name) {
				w.liveAt = w.now
				w.stats.Recovery = w.now.Sub(w.healedAt)
			}
		}
		if w.liveAt.IsZero() && w.now.Sub(w.healedAt) > w.cfg.LivenessBound() {
			w.failf("I5: no writable leader %v after healing", w.now.Sub(w.healedAt))
		}
	}
}

// checkAcquire records the /status optime when a member wins the lock (for I3).
func (w *World) checkAcquire(n *node, g ha.Gate) {
	if _, ok := g.(ha.AcquireLock); ok {
		n.acquireOptime = w.dcs.optime
		n.acquireManual = w.dcs.hasFailKey
		n.acquireForced = w.dcs.hasFailKey && w.dcs.failover.Leader == ""
		w.tracef("%s acquired the lock (optime %d, lsn %d, failsafe %v)", n.name, w.dcs.optime, n.pg.lsn(), w.dcs.failsafe)
	}
}

// checkPromotion runs I3 and I4 when a member's PostgreSQL becomes primary.
func (w *World) checkPromotion(n *node) {
	if !n.acquireManual && n.acquireOptime-n.pg.lsn() > w.cfg.MaxLag {
		w.failf("I3: %s promoted at lsn %d, %d behind optime %d (maximum_lag_on_failover %d)",
			n.name, n.pg.lsn(), n.acquireOptime-n.pg.lsn(), n.acquireOptime, w.cfg.MaxLag)
	}
	if n.acquireForced {
		// A manual failover (no leader named) may pick an asynchronous member in
		// synchronous mode: the operator accepts losing what it lacks.
		w.forgetLost(n)
		return
	}
	w.checkDurable(n, "promoted")
}

func (w *World) forgetLost(n *node) {
	have := make(map[int64]bool, len(n.pg.wal))
	for _, r := range n.pg.wal {
		have[r.id] = true
	}
	kept := w.acked[:0]
	for _, id := range w.acked {
		if have[id] {
			kept = append(kept, id)
		} else {
			w.stats.LostManual++
		}
	}
	w.acked = kept
}

// checkDurable verifies that n's WAL holds every acknowledged commit (sync mode).
func (w *World) checkDurable(n *node, why string) {
	have := make(map[int64]bool, len(n.pg.wal))
	for _, r := range n.pg.wal {
		have[r.id] = true
	}
	lost, first := 0, int64(0)
	for _, id := range w.acked {
		if !have[id] {
			if lost == 0 {
				first = id
			}
			lost++
		}
	}
	if lost == 0 {
		return
	}
	if w.cfg.Sync {
		w.failf("I4: %s %s without %d acknowledged commit(s), first %d", n.name, why, lost, first)
		return
	}
	w.stats.LostAsync = max(w.stats.LostAsync, lost)
}

func (w *World) finalChecks() {
	if w.liveAt.IsZero() {
		w.failf("I5: no writable leader %v after healing", w.now.Sub(w.healedAt))
		return
	}
	for _, n := range w.nodes {
		if w.writable(n) && w.dcs.holds(n.name) {
			w.checkDurable(n, "is the final primary")
		}
	}
}
