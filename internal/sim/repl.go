package sim

import (
	"time"

	"github.com/patroni-go/patroni/internal/ha"
)

// write is one client commit.
type write struct {
	id      int64
	node    string
	index   int // position in the primary's WAL
	acked   bool
	pending bool
}

const tickEvery = 100 * time.Millisecond

func (w *World) appendRec(n *node, isWrite bool) rec {
	r := rec{id: w.id(), tl: n.pg.tl, at: w.now, write: isWrite}
	if !isWrite {
		r.id = -r.id
	}
	n.pg.wal = append(n.pg.wal, r)
	return r
}

// clientWrites: clients commit on every member whose PostgreSQL accepts writes (as
// clients behind a stale proxy would during a split brain).
func (w *World) clientWrites() {
	init := w.dcs.initialize
	if init == nil || *init == "" { // the cluster is not bootstrapped yet: nobody serves
		w.after(500*time.Millisecond, -1, w.clientWrites)
		return
	}
	for _, n := range w.nodes {
		if !n.up && !n.pg.running || n.frozen && n.wholeVM || !n.pg.writable(w.now) {
			continue
		}
		if n.pendingWrites > 20 { // clients are stuck waiting for synchronous commit
			continue
		}
		r := w.appendRec(n, true)
		wr := &write{id: r.id, node: n.name, index: len(n.pg.wal) - 1, pending: true}
		w.stats.Writes++
		w.tryAck(n, wr)
		if wr.pending {
			n.pendingWrites++
			w.pending = append(w.pending, wr)
		}
	}
	w.after(500*time.Millisecond, -1, w.clientWrites)
}

// tryAck acknowledges a commit once synchronous_standby_names is satisfied.
func (w *World) tryAck(p *node, wr *write) {
	if !wr.pending {
		return
	}
	if !p.pg.writable(w.now) || wr.index >= len(p.pg.wal) || p.pg.wal[wr.index].id != wr.id {
		wr.pending = false // the commit never returned to the client
		return
	}
	if p.pg.ssnStrict {
		return
	}
	need := p.pg.ssnNum
	if len(p.pg.ssn) == 0 {
		need = 0
	}
	have := 0
	for _, r := range w.nodes {
		if r == p || !p.pg.inSSN(r.name) || !w.streamsFrom(r, p) {
			continue
		}
		if len(r.pg.wal) > wr.index && r.pg.wal[wr.index].id == wr.id {
			have++
		}
	}
	if have >= need {
		wr.pending, wr.acked = false, true
		if w.excused(p) {
			// A primary that just resumed from a whole-machine freeze cannot be fenced
			// before its Patroni runs (no watchdog, no STONITH). With an empty ssn
			// (non-strict mode), or with a standby that resumed with it and still
			// streams from it after a manual failover to an asynchronous member (sim
			// seed 3018636), it acknowledges commits the new primary never sees.
			// Counted, not guaranteed.
			w.stats.UnsafeAcks++
			return
		}
		w.acked = append(w.acked, wr.id)
		w.stats.Acked++
		if w.cfg.Trace {
			w.tracef("ack %d on %s (ssn %q)", wr.id, p.name, p.pg.ssnString())
		}
	}
}

// streamsFrom: r is a running standby connected to p with a compatible history.
func (w *World) streamsFrom(r, p *node) bool {
	return r.pg.running && !r.pg.primary && r.pg.upstream == p.name && w.linked(r, p) &&
		p.pg.running && !(p.frozen && p.wholeVM) && isPrefix(r.pg.wal, p.pg.wal)
}

// replicate moves WAL along streaming connections.
func (w *World) replicate() {
	for _, r := range w.nodes {
		if r.frozen && r.wholeVM || !r.pg.running || r.pg.primary || r.pg.upstream == "" {
			continue
		}
		up := w.node(r.pg.upstream)
		if up == nil || !w.linked(r, up) && !(r.frozen && !r.wholeVM) || !up.pg.running || up.frozen && up.wholeVM {
			continue
		}
		if !isPrefix(r.pg.wal, up.pg.wal) {
			continue // diverged: PostgreSQL refuses to stream
		}
		cutoff := w.now.Add(-r.lag)
		for len(r.pg.wal) < len(up.pg.wal) {
			next := up.pg.wal[len(r.pg.wal)]
			if next.at.After(cutoff) {
				break
			}
			r.pg.wal = append(r.pg.wal, next)
		}
		if len(r.pg.wal) > 0 {
			r.pg.tl = r.pg.lastTL()
		}
	}
}

// replicationRows is what the primary's pg_stat_replication shows.
func (w *World) replicationRows(p *node) ha.SyncObservation {
	obs := ha.SyncObservation{SSN: p.pg.ssnString()}
	for _, r := range w.nodes {
		if r == p || !w.streamsFrom(r, p) {
			continue
		}
		state := "async"
		if p.pg.inSSN(r.name) {
			state = "sync"
		}
		obs.Replication = append(obs.Replication, ha.WalSender{ApplicationName: r.name, SyncState: state, LSN: r.pg.lsn()})
	}
	return obs
}

// tick advances replication, acknowledgements, watchdogs and checks the invariants.
func (w *World) tick() {
	w.replicate()
	kept := w.pending[:0]
	for _, wr := range w.pending {
		p := w.node(wr.node)
		w.tryAck(p, wr)
		if wr.pending {
			kept = append(kept, wr)
		} else {
			p.pendingWrites--
		}
	}
	w.pending = kept
	w.watchdogs()
	w.checkInvariants()
	w.after(tickEvery, -1, w.tick)
}

// WatchdogTimeout is ttl − safety_margin, the margin being 5 s (Patroni's default) or
// less when ttl leaves no room for a loop_wait + retry_timeout cycle.
func (c Config) WatchdogTimeout() time.Duration {
	margin := min(5*time.Second, (c.TTL-c.LoopWait-c.RetryTimeout)/2)
	return c.TTL - margin
}

// watchdogs reset a machine whose Patroni did not kick an armed watchdog in time.
func (w *World) watchdogs() {
	for _, n := range w.nodes {
		if !n.watchdogOn || !w.cfg.Watchdog {
			continue
		}
		if w.now.Sub(n.lastKeepalive) > w.cfg.WatchdogTimeout() && !(n.frozen && n.wholeVM) {
			w.tracef("%s: watchdog fired, machine reset", n.name)
			w.crash(n, 5*time.Second)
		}
	}
}
