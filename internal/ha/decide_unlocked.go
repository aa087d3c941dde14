package ha

import (
	"log/slog"

	"github.com/patroni-go/patroni/internal/cluster"
)

// processUnhealthyCluster is ha-loop.md §6: nobody holds the leader key.
func (d *decider) processUnhealthyCluster() string {
	if d.isHealthiestNode() {
		if d.acquireLock() {
			d.cleanFailoverAfterAcquire()
			d.reload()
			if d.s.StandbyCluster {
				return d.follow("cannot be a real primary in standby cluster",
					"promoted self to a standby leader by acquiring session lock", true)
			}
			return d.enforcePrimaryRole("acquired session lock as a leader",
				"promoted self to leader by acquiring session lock")
		}
		return d.follow("demoted self after trying and failing to obtain lock",
			"following new leader after trying and failing to obtain lock", true)
	}
	f := d.failover()
	if (f != nil && f.Member != "") || (d.s.Tags.NoFailover && !d.s.Paused) {
		d.triggerCheckDiverged()
	}
	if d.s.Tags.NoFailover {
		return d.follow("demoting self because I am not allowed to become primary",
			"following a different leader because I am not allowed to promote", true)
	}
	return d.follow("demoting self because i am not the healthiest node",
		"following a different leader because i am not the healthiest node", true)
}

func (d *decider) cleanFailoverAfterAcquire() {
	f := d.failover()
	if f == nil {
		return
	}
	if d.s.Paused && f.Leader != "" && f.Member != "" {
		d.logf(slog.LevelInfo, "Updating failover key after acquiring leader lock...")
		d.do(SetFailover{Failover: cluster.Failover{Member: f.Member, ScheduledAt: f.ScheduledAt}, Version: f.Version})
		return
	}
	d.logf(slog.LevelInfo, "Cleaning up failover key after acquiring leader lock...")
	d.do(SetFailover{Version: -1})
}

// candidate is a member considered in the leader race.
type candidate struct {
	name       string
	apiURL     string
	noFailover bool
}

func memberCandidates(ms []cluster.Member) []candidate {
	out := make([]candidate, 0, len(ms))
	for _, m := range ms {
		out = append(out, candidate{m.Name, m.APIURL, cluster.Tags(m.Tags).NoFailover()})
	}
	return out
}

// isHealthiestNode is §6.1.
func (d *decider) isHealthiestNode() bool {
	if t := d.mem.ReleasedLeaderKeyAt; !t.IsZero() && d.now.Sub(t) < d.s.TTL {
		d.logf(slog.LevelInfo, "backoff: skip leader race after pre_promote script failure and releasing the lock voluntarily")
		return false
	}
	f := d.failover()
	if d.s.Paused && !d.s.Tags.NoFailover && f != nil && f.ScheduledAt == nil {
		if r := d.manualFailoverProcessNoLeader(); r != triNone {
			return r == triYes
		}
	}
	if d.state == "starting" {
		return false
	}
	if d.isPrimary {
		return d.primaryMayTakeLock()
	}
	if d.s.Paused || d.s.Tags.NoFailover {
		return false
	}
	if fs := d.v.Failsafe; d.s.FailsafeMode && len(fs) > 0 {
		// A primary running on failsafe only talks to the members in /failsafe; anyone
		// else must not race, a manual failover/switchover included (Patroni 4.1 checks
		// this only for the automatic race; found by the simulator, seed 876).
		if _, in := fs[d.me()]; !in {
			d.logf(slog.LevelInfo, "not in /failsafe: not taking part in the leader race")
			return false
		}
	}
	if f != nil {
		if f.Leader != "" && d.syncModeActive() && !d.v.Sync.Matches(d.me(), true) {
			return false
		}
		return d.manualFailoverProcessNoLeader() == triYes
	}
	if !d.l.WatchdogHealthy {
		d.logf(slog.LevelWarn, "Watchdog device is not usable")
		return false
	}
	members, ok := d.raceMembers()
	if !ok {
		return false
	}
	return d.isHealthiest(members, true, d.oldLeaderName())
}

func (d *decider) primaryMayTakeLock() bool {
	if d.s.Paused {
		init := d.v.Initialize
		return init == nil || *init == "" || *init == d.l.PG.Sysid
	}
	my, cl := d.l.PG.Timeline, d.v.Timeline()
	if my < cl {
		d.logf(slog.LevelWarn, "My timeline %d is behind last known cluster timeline %d", my, cl)
		return false
	}
	return d.noNewerPrimary(my)
}

// noNewerPrimary guards a running primary that lost the lock (a frozen process, a
// Patroni restart) against retaking it after another member was promoted but before
// that member wrote /history (found by the simulator; Patroni 4.1 only checks the
// history timeline): in synchronous mode it must be named in /sync, and no reachable
// member may report running as primary or a newer timeline.
func (d *decider) noNewerPrimary(my int64) bool {
	if d.syncModeActive() && !d.v.Sync.Matches(d.me(), true) {
		d.logf(slog.LevelWarn, "Not taking the leader lock: %s is not in /sync (leader %s)", d.me(), d.v.Sync.Leader)
		return false
	}
	members, _ := d.raceMembersAll()
	for _, m := range members {
		if m.name == d.me() || m.apiURL == "" {
			continue
		}
		st := d.peer(m.name)
		if !st.Reachable {
			continue
		}
		if !st.InRecovery {
			d.logf(slog.LevelWarn, "Primary (%s) is still alive", m.name)
			return false
		}
		if st.Timeline > my {
			d.logf(slog.LevelWarn, "Timeline %d of member %s is ahead of my timeline %d", st.Timeline, m.name, my)
			return false
		}
	}
	return true
}

// raceMembersAll is old_cluster + failsafe + current members, without the sync filter.
func (d *decider) raceMembersAll() ([]candidate, bool) {
	var all []candidate
	if d.mem.OldView != nil {
		all = memberCandidates(d.mem.OldView.Members)
	}
	for _, name := range sortedKeys(d.v.Failsafe) {
		all = append(all, candidate{name: name, apiURL: d.v.Failsafe[name]})
	}
	all = append(all, memberCandidates(d.v.Members)...)
	return dedupe(all), true
}

func (d *decider) oldLeaderName() string {
	if d.mem.OldView == nil {
		return ""
	}
	return d.mem.OldView.LeaderName()
}

// raceMembers collects old_cluster members, failsafe entries and current members
// (§6.1 step 7); ok=false disqualifies this node.
func (d *decider) raceMembers() ([]candidate, bool) {
	var all []candidate
	if d.mem.OldView != nil {
		all = memberCandidates(d.mem.OldView.Members)
	}
	if d.s.FailsafeMode && d.v.Failsafe != nil {
		if _, in := d.v.Failsafe[d.me()]; len(d.v.Failsafe) > 0 && !in {
			return nil, false
		}
		for _, name := range sortedKeys(d.v.Failsafe) {
			all = append(all, candidate{name: name, apiURL: d.v.Failsafe[name]})
		}
	}
	all = append(all, memberCandidates(d.v.Members)...)
	if fs := d.v.Failsafe; d.s.FailsafeMode && len(fs) > 0 {
		// Members missing from /failsafe can never win this race, so they must not
		// block the listed ones either: otherwise a listed member behind an unlisted
		// one leaves the cluster without a leader forever (found by the simulator;
		// Patroni 4.1 compares against them).
		kept := all[:0:0]
		for _, c := range all {
			if _, ok := fs[c.name]; ok {
				kept = append(kept, c)
			}
		}
		all = kept
	}
	if d.syncModeActive() {
		if !d.s.quorumMode() && !d.v.Sync.Matches(d.me(), true) {
			return nil, false
		}
		kept := all[:0:0]
		for _, c := range all {
			if d.v.Sync.Matches(c.name, true) {
				kept = append(kept, c)
			}
		}
		all = kept
	}
	return dedupe(all), true
}

// dedupe keeps the last candidate of each name (a dict built in order), sorted by name.
func dedupe(cs []candidate) []candidate {
	byName := map[string]candidate{}
	for _, c := range cs {
		byName[c.name] = c
	}
	out := make([]candidate, 0, len(byName))
	for _, n := range sortedKeys(byName) {
		out = append(out, byName[n])
	}
	return out
}
