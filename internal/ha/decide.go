package ha

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// MsgUnexpected is the cycle message when Decide hits an internal inconsistency.
const MsgUnexpected = "Unexpected exception raised, please report it as a BUG"

// suspension unwinds Decide when it reaches a gate without a result.
type suspension struct{ g Gate }

// dcsFailure unwinds the cycle to the DCS failure handler (ha-loop.md §15).
type dcsFailure struct{}

// decider is the state of one Decide call. It is rebuilt from Input on every call, so
// replaying a cycle with more gate results yields the same actions up to the new point.
type decider struct {
	in  Input
	s   *Settings
	l   *Local
	v   *cluster.View
	now time.Time
	mem Memory

	actions []Action
	logs    []LogLine
	next    int // index of the next unread Result

	role      cluster.Role
	state     string
	running   bool
	isPrimary bool
	async     string // running or just started background task
	cbCalled  bool
	peers     map[string]PeerStatus
}

// Decide computes the next steps of one HA cycle. It is pure: everything it needs is in
// Input, and it performs no I/O. See the package documentation for the phase protocol.
func Decide(in Input) (p Plan) {
	d := newDecider(in)
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if s, ok := r.(suspension); ok {
			p = Plan{Actions: d.actions, Gate: s.g, Logs: d.logs}
			return
		}
		d.logs = append(d.logs, LogLine{slog.LevelError, fmt.Sprintf("Unexpected exception: %v\n%s", r, debug.Stack())})
		p = Plan{Message: MsgUnexpected, Logs: d.logs, Memory: in.Local.Memory, TouchMember: false}
	}()
	msg, touch := d.cycle()
	if d.s.Paused {
		msg = "PAUSE: " + msg
	}
	return Plan{Actions: d.actions, Message: msg, TouchMember: touch, Memory: d.mem, Logs: d.logs}
}

func newDecider(in Input) *decider {
	d := &decider{in: in, s: &in.Settings, l: &in.Local, now: in.Now, mem: in.Local.Memory}
	d.mem.SyncReady = copySet(in.Local.Memory.SyncReady)
	d.v = in.View
	if d.v == nil {
		d.v = &cluster.View{}
	}
	d.role, d.state = in.Local.PG.Role, in.Local.PG.State
	d.running, d.isPrimary = in.Local.PG.Running, in.Local.PG.Running && in.Local.PG.IsPrimary
	d.async = in.Local.Async.Action
	d.cbCalled = in.Local.CallbackFired
	d.peers = in.Local.Peers
	d.applyCompleted()
	return d
}

// applyCompleted folds finished background tasks into the rewind state.
func (d *decider) applyCompleted() {
	for _, t := range d.l.Completed {
		switch {
		case strings.HasPrefix(t.Action, "running pg_rewind from "):
			if t.OK {
				d.mem.Rewind = RewindSuccess
			} else {
				d.mem.Rewind = RewindFailed
			}
		case t.Action == "reinitializing due to diverged timelines", strings.HasPrefix(t.Action, "bootstrap from "),
			t.Action == "bootstrap (without leader)":
			d.mem.Rewind = RewindInitial
		}
	}
}

func copySet(m map[string]bool) map[string]bool {
	if m == nil {
		return nil
	}
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// cycle runs _run_cycle and reports the message and whether to touch the member key.
func (d *decider) cycle() (msg string, touch bool) {
	if d.in.ViewErr {
		d.logf(slog.LevelError, "Error communicating with DCS")
		return d.handleDCSError(), false
	}
	msg, failed := d.guardDCS(d.runCycle)
	if failed {
		d.logf(slog.LevelError, "Error communicating with DCS")
		return d.handleDCSError(), false
	}
	if d.isLeader() {
		d.mem.FailsafeActiveAt = time.Time{}
	}
	return msg, true
}

// guardDCS runs f, turning a dcsFailure unwind into failed=true.
func (d *decider) guardDCS(f func() string) (msg string, failed bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(dcsFailure); !ok {
				panic(r)
			}
			failed = true
		}
	}()
	return f(), false
}

// gate returns the result of g from an earlier phase, or suspends Decide so that the
// executor runs g. Actions and logs collected so far were returned by that earlier
// phase, so they are dropped when its result is consumed.
func (d *decider) gate(g Gate) Result {
	if d.next >= len(d.in.Results) {
		panic(suspension{g})
	}
	r := d.in.Results[d.next]
	d.next++
	if r.Gate != "" && r.Gate != gateName(g) {
		panic(fmt.Sprintf("gate result %q does not answer %s", r.Gate, g))
	}
	d.actions, d.logs = nil, nil
	return r
}

func (d *decider) do(a ...Action) { d.actions = append(d.actions, a...) }

func (d *decider) logf(level slog.Level, format string, args ...any) {
	d.logs = append(d.logs, LogLine{level, fmt.Sprintf(format, args...)})
}

func (d *decider) setRole(r cluster.Role) {
	d.role = r
	d.do(SetRole{Role: r})
}

func (d *decider) setState(s string) {
	d.state = s
	d.do(SetState{State: s})
}

func (d *decider) runAsync(name string, task Action) {
	d.async = name
	d.do(RunAsync{Name: name, Task: task})
}

func (d *decider) fireCallback(cb string) {
	role := d.role
	if role == cluster.RolePromoted {
		role = cluster.RolePrimary
	}
	d.cbCalled = true
	d.do(FireCallback{Callback: cb, Role: role})
}

// ---- view helpers ----

func (d *decider) me() string { return d.l.Name }

func (d *decider) hasLock() bool { return d.v.HasLock(d.me()) }

// isLeader: the lock was acquired or renewed less than ttl ago and the view agrees.
func (d *decider) isLeader() bool {
	t := d.mem.LockRenewedAt
	return !t.IsZero() && d.now.Before(t.Add(d.s.TTL)) && d.hasLock()
}

func (d *decider) setIsLeader(ok bool, at time.Time) {
	if ok {
		d.mem.LockRenewedAt = at
		return
	}
	d.mem.LockRenewedAt = time.Time{}
	d.mem.PromoteTimestamp = time.Time{}
}

func (d *decider) failover() *cluster.Failover {
	if d.v.Failover.IsEmpty() {
		return nil
	}
	return d.v.Failover
}

func (d *decider) failoverAction() string {
	f := d.failover()
	switch {
	case f == nil:
		return "failover"
	case f.Leader != "":
		return "switchover"
	}
	return "manual failover"
}

func (d *decider) syncModeActive() bool { return d.s.syncEnabled() && !d.v.Sync.IsEmpty() }

func (d *decider) quorumActive() bool { return d.s.quorumMode() && !d.v.Sync.IsEmpty() }

func (d *decider) leaderName() string { return d.v.LeaderName() }

func (d *decider) canRewindOrReinit() bool {
	return d.s.RemoveDataDirectoryOnDivergedTimeline || d.l.PG.CanRewind
}

func (d *decider) triggerCheckDiverged() {
	if d.canRewindOrReinit() && d.mem.Rewind != RewindNeed {
		d.mem.Rewind = RewindCheck
	}
}

func (d *decider) rewindExecuted() bool {
	return d.mem.Rewind == RewindSuccess || d.mem.Rewind == RewindFailed
}

func (d *decider) rewindIsNeeded() bool {
	return d.mem.Rewind == RewindCheck || d.mem.Rewind == RewindNeed
}

// isValidSysid is Patroni's sysid_valid: at least 10 digits.
func isValidSysid(s *string) bool { return s != nil && validSysid(*s) }

func validSysid(s string) bool {
	if len(s) < 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// releaseLock releases the leader key voluntarily.
func (d *decider) releaseLock(lastLSN int64) {
	d.setIsLeader(false, time.Time{})
	d.do(DeleteLock{LastLSN: lastLSN})
}

// demote emits a Demote and the state changes Patroni's demote() makes synchronously.
func (d *decider) demote(mode DemoteMode) {
	d.logf(slog.LevelInfo, "Demoting self (%s)", mode)
	d.triggerCheckDiverged()
	d.setIsLeader(false, time.Time{})
	d.do(Demote{Mode: mode})
	d.role = cluster.RoleDemoted
	d.isPrimary = false
	if mode == DemoteImmediate || mode == DemoteImmediateNoLock {
		d.async = "starting after demotion"
	}
}
