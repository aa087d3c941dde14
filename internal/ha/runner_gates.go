package ha

import (
	"context"
	"sync"
	"time"

	"github.com/patroni-go/patroni/internal/api/client"
	"github.com/patroni-go/patroni/internal/cluster"
)

// runGate carries out a gate and reports its outcome to the next Decide phase.
func (r *Runner) runGate(ctx context.Context, g Gate, in *Input) Result {
	res := Result{Gate: gateName(g), Started: time.Now()}
	r.log.Debug("gate", "gate", g.String())
	dctx, cancel := r.opCtx(ctx)
	defer cancel()
	var err error
	switch g := g.(type) {
	case AcquireLock:
		res.OK, err = r.d.Store.AttemptToAcquireLeader(dctx)
		if err == nil && !res.OK {
			r.log.Info("Could not take out TTL lock")
		}
	case UpdateLock:
		res.OK, err = r.updateLock(dctx, in, g)
	case TakeLeader:
		res.OK, err = r.d.Store.TakeLeader(dctx)
	case ReloadView:
		var v *cluster.View
		v, err = r.d.Store.Load(dctx)
		if err == nil {
			r.rememberView(v)
			res.View, res.OK = v, true
		}
	case InitializeRace:
		res.OK, err = r.d.Store.Initialize(dctx, true, "")
	case WriteSync:
		res.SyncVersion, res.OK, err = r.d.Store.SetSync(dctx, cluster.SyncState{Leader: g.Leader, SyncStandby: g.Standbys, Quorum: g.Quorum}, g.Version)
	case DeleteSync:
		res.OK, err = r.d.Store.DeleteSync(dctx, g.Version)
	case ActivateWatchdog:
		res.OK = r.d.Watchdog == nil && in.Settings.Watchdog != WatchdogRequired ||
			r.d.Watchdog != nil && r.d.Watchdog.Activate(in.Settings.TTL, in.Settings.LoopWait) == nil
	case FetchPeers:
		res.Peers, res.OK = r.fetchPeers(ctx, in.View, g.Names), true
	case CheckDivergence:
		res.Needed, res.OK = r.checkDivergence(ctx, in.View, g.Leader, g.Remote)
	case PostFailsafe:
		res.OK = r.postFailsafe(ctx, g.Members)
	case SyncSlots:
		res.OK, res.Slots = r.syncSlotsGate(ctx, in.View, &in.Settings)
	default:
		r.log.Error("unknown gate", "gate", g.String())
	}
	if err != nil {
		res.OK, res.DCSError = false, isDCSError(err)
		r.log.Warn("DCS operation failed", "gate", res.Gate, "error", err)
	}
	r.noteLockResult(g, res)
	return res
}

// noteLockResult keeps is_leader() in step with the lock operations as they happen, so
// the REST API answers as the leader from the moment the key is ours.
func (r *Runner) noteLockResult(g Gate, res Result) {
	switch g.(type) {
	case AcquireLock, TakeLeader, UpdateLock, PostFailsafe:
		// PostFailsafe: every member accepted us while the DCS is down; Patroni then
		// keeps running as the leader for another ttl.
	default:
		return
	}
	r.mu.Lock()
	if res.OK {
		r.leaderUntil = res.Started.Add(r.settings.TTL)
	} else if _, renewal := g.(UpdateLock); renewal {
		r.leaderUntil = time.Time{}
	}
	r.mu.Unlock()
	r.publish()
}

// updateLock renews our lock, then writes /status and /failsafe when asked (dcs.md §4.2).
func (r *Runner) updateLock(ctx context.Context, in *Input, g UpdateLock) (bool, error) {
	var leader *cluster.Leader
	if in.View != nil {
		leader = in.View.Leader
	}
	r.lockOps.Lock()
	defer r.lockOps.Unlock()
	r.mu.Lock()
	stale := r.released != r.cycleReleased
	r.mu.Unlock()
	if stale {
		// We released the lock (a background demotion) after this cycle read the view:
		// renewing now would take back what we just gave up.
		return false, nil
	}
	ok, err := r.d.Store.UpdateLeader(ctx, leader)
	if !ok || err != nil {
		return ok, err
	}
	if g.WriteStatus {
		r.writeStatus(ctx, in.Local.PG.WALPosition)
	}
	if g.Failsafe != nil {
		r.mu.Lock()
		same := equalFailsafe(r.lastFS, g.Failsafe)
		r.mu.Unlock()
		if !same {
			if err := r.d.Store.WriteFailsafe(ctx, g.Failsafe); err == nil {
				r.mu.Lock()
				r.lastFS = g.Failsafe
				r.mu.Unlock()
			}
		}
	}
	return true, nil
}

// writeStatus writes /status with our WAL position and permanent slots when it changed.
func (r *Runner) writeStatus(ctx context.Context, lsn int64) {
	if lsn <= 0 {
		return
	}
	st := r.statusFor(ctx, lsn) // optime, slots and retain_slots (runner_slots.go)
	r.mu.Lock()
	prev := r.lastStatus
	r.mu.Unlock()
	if sameStatus(prev, st) {
		return
	}
	if err := r.d.Store.WriteStatus(ctx, st); err != nil {
		r.log.Warn("failed to write /status", "error", err)
		return
	}
	r.mu.Lock()
	r.lastStatus = &st
	r.mu.Unlock()
}

func equalSlots(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func equalFailsafe(a, b cluster.Failsafe) bool {
	if len(a) != len(b) || a == nil != (b == nil) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// peerTimeout is how long the leader race waits for GET /patroni (Patroni: 2 s).
const peerTimeout = 2 * time.Second

// fetchPeers asks the named members' GET /patroni in parallel; a member that does
// not answer usefully is left out ("not reachable").
func (r *Runner) fetchPeers(ctx context.Context, v *cluster.View, names []string) map[string]PeerStatus {
	out := map[string]PeerStatus{}
	if v == nil || r.d.Peers == nil {
		return out
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	pctx, cancel := context.WithTimeout(ctx, peerTimeout)
	defer cancel()
	for _, name := range names {
		m := v.Member(name)
		if m == nil || m.APIURL == "" {
			continue
		}
		wg.Add(1)
		go func(name, url string) {
			defer wg.Done()
			st, err := r.d.Peers.GetStatus(pctx, url)
			if err != nil || !st.Reachable() {
				return
			}
			ps := peerStatus(st)
			mu.Lock()
			out[name] = ps
			mu.Unlock()
		}(name, m.APIURL)
	}
	wg.Wait()
	return out
}

func peerStatus(st *client.NodeStatus) PeerStatus {
	tags := cluster.Tags(st.Tags)
	return PeerStatus{
		Reachable:      true,
		InRecovery:     st.InRecovery(),
		WALPosition:    st.WALPosition(),
		Timeline:       st.Timeline,
		NoFailover:     st.NoFailover(),
		Priority:       tags.FailoverPriority(),
		WatchdogFailed: st.WatchdogFailed,
	}
}

// checkDivergence runs the rewind check against the leader (ha-loop.md §10.1).
func (r *Runner) checkDivergence(ctx context.Context, v *cluster.View, leader string, remote bool) (needed, ok bool) {
	up := r.upstream(v, leader, remote)
	if up == nil {
		return false, false
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	need, err := r.d.PG.CheckDivergence(cctx, up)
	if err != nil {
		r.log.Warn("could not check whether rewind is needed", "leader", leader, "error", err)
		return false, false
	}
	return need, true
}

// postFailsafe sends POST /failsafe to every other member listed; all must accept.
func (r *Runner) postFailsafe(ctx context.Context, members cluster.Failsafe) bool {
	if r.d.Peers == nil {
		return false
	}
	static := r.d.Config.Member()
	r.mu.Lock()
	lsn := int64(r.pgObs.WALPosition)
	r.mu.Unlock()
	req := client.FailsafeRequest{Name: r.d.Name, ConnURL: static.ConnURL, APIURL: static.APIURL,
		Slots: r.failsafeSlots(ctx, lsn)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	all := true
	for name, url := range members {
		if name == r.d.Name {
			continue
		}
		wg.Add(1)
		go func(url string) {
			defer wg.Done()
			accepted := false
			for try := 0; try < 2 && !accepted; try++ {
				pctx, cancel := context.WithTimeout(ctx, peerTimeout)
				res, err := r.d.Peers.PostFailsafe(pctx, url, req)
				cancel()
				accepted = err == nil && res.Accepted
			}
			if !accepted {
				mu.Lock()
				all = false
				mu.Unlock()
			}
		}(url)
	}
	wg.Wait()
	return all
}
