package ha

import (
	"fmt"

	"github.com/patroni-go/patroni/internal/cluster"
)

// NodeToFollow is whom this node should replicate from given a view (ha-loop.md §10.4):
// "" for nobody, RemoteMember (remote=true) for a standby cluster's remote member. The
// executor uses it after a demotion and to compute Local.PG.FollowingName.
func NodeToFollow(v *cluster.View, name string, s *Settings) (target string, remote bool) {
	if v == nil {
		v = &cluster.View{}
	}
	if s.Tags.NoStream {
		return "", false
	}
	switch {
	case s.StandbyCluster && (v.HasLock(name) || (v.IsUnlocked() && !s.Paused)):
		return RemoteMember, true
	case s.Tags.ReplicateFrom != "" && s.Tags.ReplicateFrom != name:
		if v.Member(s.Tags.ReplicateFrom) != nil {
			target = s.Tags.ReplicateFrom
		} else {
			target = v.LeaderName()
		}
	default:
		target = v.LeaderName()
	}
	if target == name {
		return "", false
	}
	return target, false
}

func (d *decider) nodeToFollow() (string, bool) { return NodeToFollow(d.v, d.me(), d.s) }

// targetConnURL is the conn_url of a follow target ("" when unknown).
func (d *decider) targetConnURL(target string, remote bool) string {
	if remote {
		return "remote"
	}
	if m := d.v.Member(target); m != nil {
		return m.ConnURL
	}
	if d.v.Leader != nil && d.v.Leader.Name == target && d.v.Leader.Member != nil {
		return d.v.Leader.Member.ConnURL
	}
	return ""
}

// follow is §10.4's follow(demote_reason, follow_reason, refresh).
func (d *decider) follow(demoteMsg, followMsg string, refresh bool) string {
	if refresh {
		d.reload()
	}
	target, remote := d.nodeToFollow()
	if d.s.Paused {
		if !(d.rewindIsNeeded() && d.canRewindOrReinit()) || d.v.IsUnlocked() {
			if d.isPrimary {
				if d.role != cluster.RolePrimary {
					d.setRole(cluster.RolePrimary)
				}
				return "continue to run as primary without lock"
			}
			if d.role != cluster.RoleStandbyLeader && d.role != cluster.RoleReplica {
				d.setRole(cluster.RoleReplica)
			}
			if target == "" {
				return fmt.Sprintf("no action. I am (%s)", d.me())
			}
		}
	} else if d.isPrimary {
		if d.s.StandbyCluster {
			d.runAsync("demoting to a standby cluster", Demote{Mode: DemoteCluster})
		} else {
			d.demote(DemoteImmediateNoLock)
		}
		return demoteMsg
	}
	if msg, ok := d.handleRewindOrReinitialize(); ok {
		return msg
	}
	role := cluster.RoleReplica
	if remote && d.hasLock() {
		role = cluster.RoleStandbyLeader
	}
	if d.s.StandbyCluster && role == cluster.RoleReplica && (target == "" || d.targetConnURL(target, remote) == "") {
		return "continue following the old known standby leader"
	}
	pg := &d.l.PG
	if target != pg.FollowingName || pg.RecoveryConfStale {
		f := Follow{Target: target, Remote: remote, Role: role}
		if pg.RecoveryConfNeedsRestart {
			d.runAsync("changing primary_conninfo and restarting", f)
		} else {
			f.Reload = true
			d.do(f)
			d.role = role
		}
		d.triggerCheckDiverged()
		return followMsg
	}
	if role == cluster.RoleStandbyLeader && d.role != role {
		d.setRole(role)
		d.fireCallback("on_role_change")
	}
	if lt := d.leaderTimeline(); pg.Timeline != 0 && lt != 0 && pg.Timeline < lt {
		d.triggerCheckDiverged()
		if msg, ok := d.handleRewindOrReinitialize(); ok {
			return msg
		}
	}
	return followMsg
}

func (d *decider) leaderTimeline() int64 {
	if d.v.Leader == nil || d.v.Leader.Member == nil || d.v.Leader.Member.Timeline == nil {
		return 0
	}
	return *d.v.Leader.Member.Timeline
}

// handleRewindOrReinitialize is §10.1; ok reports that a task was started.
func (d *decider) handleRewindOrReinitialize() (string, bool) {
	leader, remote := d.leaderName(), false
	if d.s.StandbyCluster {
		leader, remote = RemoteMember, true
	}
	if leader == "" || !d.rewindNeededAndPossible(leader, remote) {
		return "", false
	}
	if d.l.PG.CanRewind {
		if !d.running && d.l.PG.ClusterState == "in archive recovery" {
			if msg, ok := d.handleCrashRecovery(); ok {
				return msg, true
			}
		}
		msg := "running pg_rewind from " + leader
		d.runAsync(msg, Rewind{From: leader})
		return msg, true
	}
	if d.s.RemoveDataDirectoryOnDivergedTimeline && !d.s.StandbyCluster {
		msg := "reinitializing due to diverged timelines"
		d.runAsync(msg, Reinitialize{From: d.cloneMember()})
		return msg, true
	}
	return "", false
}

func (d *decider) rewindNeededAndPossible(leader string, remote bool) bool {
	conn := d.targetConnURL(leader, remote)
	if leader != d.me() && conn != "" && d.mem.Rewind == RewindCheck {
		if d.gate(CheckDivergence{Leader: leader, Remote: remote}).Needed {
			d.mem.Rewind = RewindNeed
		} else {
			d.mem.Rewind = RewindNotNeed
		}
	}
	return conn != "" && d.mem.Rewind == RewindNeed
}
