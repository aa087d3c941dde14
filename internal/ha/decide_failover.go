package ha

import (
	"cmp"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/patroni-go/patroni/internal/cluster"
)

type tri int

const (
	triNone tri = iota
	triNo
	triYes
)

func boolTri(b bool) tri {
	if b {
		return triYes
	}
	return triNo
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// peer returns a member's GET /patroni answer, fetching all statuses once per cycle if
// the executor did not provide them. A missing answer means "not reachable".
func (d *decider) peer(name string) PeerStatus {
	if !d.l.PeersFetched && d.peers == nil {
		names := peerNames(d.v, d.l)
		if len(names) > 0 {
			d.peers = d.gate(FetchPeers{Names: names}).Peers
		}
		if d.peers == nil {
			d.peers = map[string]PeerStatus{}
		}
	}
	return d.peers[name]
}

func (d *decider) isLagging(pos int64) bool {
	return d.v.Status.Optime-pos > d.s.MaximumLagOnFailover
}

// isHealthiest is _is_healthiest_node (§6.2).
func (d *decider) isHealthiest(members []candidate, checkLag bool, oldLeader string) bool {
	clusterTL := d.v.Timeline()
	myTL := d.l.PG.Timeline
	if myTL != 0 {
		d.mem.LastTimeline = myTL
	}
	myLSN := d.l.PG.WALPosition
	if checkLag && d.isLagging(myLSN) {
		d.logf(slog.LevelInfo, "My wal position exceeds maximum replication lag")
		return false
	}
	if !d.s.StandbyCluster && d.s.CheckTimeline {
		if myTL == 0 {
			d.logf(slog.LevelInfo, "Can not figure out my timeline")
			return false
		}
		if myTL < clusterTL {
			d.logf(slog.LevelInfo, "My timeline %d is behind last known cluster timeline %d", myTL, clusterTL)
			return false
		}
	}
	quorum, voting := int64(0), map[string]bool{}
	if d.quorumActive() {
		quorum = d.v.Sync.Quorum
		for _, n := range append([]string{d.v.Sync.Leader}, d.v.Sync.SyncStandby...) {
			voting[strings.ToLower(n)] = true
		}
	}
	leaderName := oldLeader
	if d.syncModeActive() {
		leaderName = d.v.Sync.Leader
	}
	votes, ahead := int64(-1), 0
	if voting[strings.ToLower(d.me())] {
		votes = 0
	}
	for _, m := range members {
		if m.name == d.me() || m.apiURL == "" || (m.noFailover && !voting[strings.ToLower(m.name)]) {
			continue
		}
		st := d.peer(m.name)
		if st.limitation() != "" {
			continue
		}
		if !st.InRecovery {
			d.logf(slog.LevelWarn, "Primary (%s) is still alive", m.name)
			return false
		}
		if myLSN < st.WALPosition {
			ahead++
			d.logf(slog.LevelInfo, "Wal position of %s is ahead of my wal position", m.name)
			if !d.syncModeActive() || !strings.EqualFold(d.v.Sync.Leader, m.name) {
				return false
			}
			d.logf(slog.LevelInfo, "Ignoring the former leader being ahead of us")
			continue
		}
		if st.WALPosition <= 0 {
			continue
		}
		vote := voting[strings.ToLower(m.name)]
		low := myLSN == st.WALPosition && d.s.Tags.FailoverPriority < st.Priority
		if low && leaderName != "" && leaderName == m.name {
			d.logf(slog.LevelInfo, "Ignoring former leader %s having priority %d higher than this nodes %d priority",
				leaderName, st.Priority, d.s.Tags.FailoverPriority)
			low = false
		}
		if low && (!d.quorumActive() || vote) {
			d.logf(slog.LevelInfo, "%s has equally tolerable WAL position and priority %d, while this node has priority %d",
				m.name, st.Priority, d.s.Tags.FailoverPriority)
			return false
		}
		if vote {
			d.logf(slog.LevelInfo, "Got quorum vote from %s", m.name)
			votes++
		}
	}
	return !d.quorumActive() || votes >= quorum || (ahead == 0 && d.v.Sync.Leader == d.me())
}

// manualFailoverProcessNoLeader is §6.3.
func (d *decider) manualFailoverProcessNoLeader() tri {
	f := d.failover()
	action := d.failoverAction()
	if f.Member != "" {
		if f.Member == d.me() {
			return triYes
		}
		if d.s.Paused {
			if d.v.Member(f.Member) == nil && d.isPrimary {
				d.logf(slog.LevelWarn, "%s: removing failover key because failover candidate is not running", action)
				d.do(SetFailover{Version: f.Version})
				return triNone
			}
			return triNo
		}
		if d.s.syncEnabled() && !d.s.quorumMode() && !d.v.Sync.Matches(d.me(), true) {
			return triNo
		}
		if d.v.Member(f.Member) != nil {
			st := d.peer(f.Member)
			lim := st.limitation()
			if lim == "" && f.Leader != "" && d.syncModeActive() && !d.v.Sync.Matches(f.Member, true) {
				// The candidate itself refuses a switchover outside /sync (§6.1 step 5),
				// so deferring to it would leave the cluster without a leader forever
				// (found by the simulator; Patroni 4.1 waits for it).
				lim = "not a synchronous standby"
			}
			if lim == "" && !d.mayRaceByFailsafe(f.Member) {
				lim = "not in /failsafe"
			}
			if lim == "" {
				d.logf(slog.LevelInfo, "%s: to %s, i am %s", action, f.Member, d.me())
				return triNo
			} else {
				d.logf(slog.LevelWarn, "%s: member %s is %s", action, f.Member, lim)
			}
		}
	} else if d.s.Paused {
		return triNo
	}
	if f.Leader != "" && f.Leader == d.me() {
		return boolTri(!d.isFailoverPossible(0, f.Member != ""))
	}
	var ms []cluster.Member
	for _, m := range d.v.Members {
		if m.Name != f.Leader && (!d.syncModeActive() || d.v.Sync.Matches(m.Name, false)) && d.mayRaceByFailsafe(m.Name) {
			ms = append(ms, m)
		}
	}
	return boolTri(d.isHealthiest(memberCandidates(ms), false, ""))
}

// mayRaceByFailsafe: with failsafe mode and a non-empty /failsafe, only listed members
// can win a race, so only they count as candidates (keeps the race rule of
// isHealthiestNode and the feasibility checks consistent; sim seed 2918).
func (d *decider) mayRaceByFailsafe(name string) bool {
	if fs := d.v.Failsafe; d.s.FailsafeMode && len(fs) > 0 {
		_, ok := fs[name]
		return ok
	}
	return true
}

// failoverCandidates is get_failover_candidates (§8.2).
func (d *decider) failoverCandidates(excludeCandidate bool) []cluster.Member {
	f := d.failover()
	var out []cluster.Member
	for _, m := range d.v.Members {
		if d.syncModeActive() && !d.v.Sync.Matches(m.Name, false) && !(f != nil && f.Leader == "") {
			continue
		}
		if m.Name == d.me() || (f != nil && excludeCandidate && m.Name == f.Member) {
			continue
		}
		if cluster.Tags(m.Tags).NoFailover() || m.APIURL == "" || !d.mayRaceByFailsafe(m.Name) {
			continue
		}
		if !excludeCandidate && f != nil && f.Member != "" && m.Name != f.Member {
			continue
		}
		out = append(out, m)
	}
	return out
}

// isFailoverPossible is §8.3. clusterLSN > 0 requires candidates to have reached it.
func (d *decider) isFailoverPossible(clusterLSN int64, excludeCandidate bool) bool {
	cands := d.failoverCandidates(excludeCandidate)
	f := d.failover()
	action := d.failoverAction()
	if len(cands) == 0 {
		if d.s.syncEnabled() && f != nil && f.Member != "" {
			d.logf(slog.LevelWarn, "%s candidate=%s does not match with sync_standbys=%s",
				title(action), f.Member, fmt.Sprint(d.v.Sync.SyncStandby))
		} else {
			d.logf(slog.LevelWarn, "%s: candidates list is empty", action)
		}
	}
	votes := int64(-1)
	clusterTL := d.v.Timeline()
	for _, m := range cands {
		st := d.peer(m.Name)
		switch lim := st.limitation(); {
		case lim != "":
			d.logf(slog.LevelInfo, "Member %s is %s", m.Name, lim)
		case (clusterLSN > 0 && st.WALPosition < clusterLSN) || (clusterLSN == 0 && d.isLagging(st.WALPosition)):
			d.logf(slog.LevelInfo, "Member %s exceeds maximum replication lag", m.Name)
		case d.s.CheckTimeline && (st.Timeline == 0 || st.Timeline < clusterTL):
			d.logf(slog.LevelInfo, "Timeline %d of member %s is behind the cluster timeline %d", st.Timeline, m.Name, clusterTL)
		default:
			votes++
		}
	}
	checkQuorum := d.quorumActive() && !(f != nil && f.Member != "" && !excludeCandidate)
	if checkQuorum && votes < d.v.Sync.Quorum {
		d.logf(slog.LevelInfo, "Quorum requirement %d can not be reached", d.v.Sync.Quorum)
		return false
	}
	return votes >= 0
}

// NeedsPeers lists the members whose GET /patroni the executor should gather before a
// cycle (a superset of what Decide may ask). Decide asks for them itself with a
// FetchPeers gate when Local.PeersFetched is false and it needs them, so prefetching is
// an optimisation, never a requirement.
func NeedsPeers(v *cluster.View, l *Local, s *Settings) []string {
	if v == nil {
		return nil
	}
	if !v.IsUnlocked() {
		if !v.HasLock(l.Name) {
			return nil
		}
		if v.Failover.IsEmpty() && l.PG.Running && l.PG.State != "starting" && l.Async.Action == "" {
			return nil
		}
	}
	return peerNames(v, l)
}

// peerNames lists every other member with an api_url: current members, old_cluster
// members and failsafe entries, sorted.
func peerNames(v *cluster.View, l *Local) []string {
	seen := map[string]bool{l.Name: true}
	var out []string
	add := func(name, api string) {
		if name != "" && api != "" && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	for _, m := range v.Members {
		add(m.Name, m.APIURL)
	}
	if l.Memory.OldView != nil {
		for _, m := range l.Memory.OldView.Members {
			add(m.Name, m.APIURL)
		}
	}
	for _, name := range sortedKeys(v.Failsafe) {
		add(name, v.Failsafe[name])
	}
	slices.SortFunc(out, cmp.Compare[string])
	return out
}
