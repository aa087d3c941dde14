package sim

import (
	"fmt"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/ha"
)

// startTask runs a background task; its effect happens when it completes.
func (n *node) startTask(name string, a ha.Action) {
	if n.async != nil {
		n.w.tracef("%s: Failed to run %s, %s is already in progress", n.name, name, n.async.name)
		return
	}
	t := &task{name: name}
	n.async, n.prePromo = t, false
	dur, effect := n.taskEffect(a)
	if _, ok := a.(ha.Promote); ok {
		n.w.after(100*time.Millisecond, n.idx, func() {
			if !t.cancel {
				n.prePromo = true
			}
		})
	}
	n.w.after(dur, n.idx, func() {
		if t.cancel || n.async != t {
			return
		}
		ok := effect()
		n.async = nil
		n.completed = append(n.completed, ha.TaskResult{Action: name, OK: ok})
	})
}

func (n *node) taskEffect(a ha.Action) (time.Duration, func() bool) {
	switch a := a.(type) {
	case ha.Bootstrap:
		return 1500 * time.Millisecond, n.bootstrap
	case ha.PostBootstrap:
		return 300 * time.Millisecond, func() bool { n.response = ha.ResponseTrue; return true }
	case ha.Clone:
		return 2 * time.Second, func() bool { return n.clone(a.From) }
	case ha.Reinitialize:
		return 2 * time.Second, func() bool { n.pg.stop(true); return n.clone(a.From) }
	case ha.StartPrimary:
		n.pg.start(n.w.now, 300*time.Millisecond, false, "")
		n.setState("starting")
		return 300 * time.Millisecond, func() bool { return n.pg.running }
	case ha.Follow:
		return 500 * time.Millisecond, func() bool {
			n.pg.stop(false)
			n.startPG(true, a.Target)
			n.role = a.Role
			return true
		}
	case ha.Promote:
		return 600 * time.Millisecond, n.promote
	case ha.Demote:
		return 500 * time.Millisecond, func() bool { n.demote(a.Mode); return true }
	case ha.Rewind:
		return time.Second, func() bool { return n.rewind(a.From) }
	case ha.CrashRecovery:
		return 500 * time.Millisecond, func() bool {
			if n.pg.control == "in production" || n.pg.control == "in crash recovery" {
				n.pg.control = "shut down"
			} else {
				n.pg.control = "shut down in recovery"
			}
			return true
		}
	case ha.Restart:
		return time.Second, func() bool {
			primary := n.pg.primary
			n.pg.stop(false)
			n.pg.start(n.w.now, 300*time.Millisecond, !primary, n.pg.upstream)
			n.setState("starting")
			return true
		}
	}
	return 100 * time.Millisecond, func() bool { return true }
}

func (n *node) bootstrap() bool {
	pg := n.pg
	pg.empty, pg.sysid, pg.tl = false, fmt.Sprintf("70000000000000%05d", n.w.cfg.Seed%100000), 1
	pg.wal = nil
	n.w.appendRec(n, false)
	pg.start(n.w.now, 300*time.Millisecond, false, "")
	n.setState("starting")
	return true
}

func (n *node) clone(from string) bool {
	src := n.w.node(from)
	if src == nil || !n.w.linked(n, src) || !src.pg.running || src.pg.empty {
		*n.pg = pgServer{name: n.name, empty: true, tl: 1}
		return false
	}
	n.pg.empty, n.pg.sysid = false, src.pg.sysid
	n.pg.wal = append([]rec(nil), src.pg.wal...)
	n.pg.tl = src.pg.lastTL()
	n.pg.control = "in archive recovery"
	target, _ := ha.NodeToFollow(n.w.dcs.view(), n.name, ptr(n.settings()))
	n.startPG(true, target)
	return true
}

// promote completes pg_ctl promote. Executor guard: after a freeze the lock may be
// gone, so the promotion only happens while is_leader still holds.
func (n *node) promote() bool {
	if !n.believes() {
		n.w.tracef("%s: promote aborted: leader lock no longer confirmed", n.name)
		n.response = ha.ResponseFalse
		return false
	}
	pg := n.pg
	if !pg.running || pg.primary {
		n.response = ha.ResponseTrue
		return pg.running
	}
	pg.primary, pg.upstream = true, ""
	pg.tl = pg.maxTL() + 1
	n.w.appendRec(n, false)
	pg.control = "in production"
	n.role = cluster.RolePromoted
	n.response, n.cbFired = ha.ResponseTrue, true
	n.w.stats.Promotions++
	n.w.tracef("%s: promoted on timeline %d at lsn %d", n.name, pg.tl, pg.lsn())
	n.w.checkPromotion(n)
	return true
}

func (n *node) rewind(from string) bool {
	src := n.w.node(from)
	if src == nil || !n.w.linked(n, src) || !src.pg.running {
		return false
	}
	n.pg.stop(false)
	n.pg.wal = n.pg.wal[:commonPrefix(n.pg.wal, src.pg.wal)]
	n.pg.tl = n.pg.lastTL()
	n.pg.control = "shut down in recovery"
	n.setState("stopped")
	return true
}

// restartPatroni restarts the Patroni process (PostgreSQL keeps running).
func (n *node) restartPatroni(after time.Duration) {
	n.up = false
	n.gen++
	gen := n.gen
	n.w.after(after, -1, func() {
		if n.gen == gen && !n.up {
			n.boot(0)
		}
	})
}
