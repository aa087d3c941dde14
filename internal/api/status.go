package api

import (
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// statusRole is the "role" of the status document: from pg_is_in_recovery() when the
// query succeeded (a standby cluster's replica shows its internal role), else the
// internal role.
func statusRole(s *Snapshot) string {
	if !s.Queried {
		return string(s.Role)
	}
	if !s.InRecovery {
		return string(cluster.RolePrimary)
	}
	if s.StandbyCluster && s.Role != "" {
		return string(s.Role)
	}
	return string(cluster.RoleReplica)
}

// statusState is "unknown" when PostgreSQL should be running but did not answer.
func statusState(s *Snapshot) string {
	if !s.Queried && s.State == "running" {
		return "unknown"
	}
	return s.State
}

// isSyncMember: a replica listed in the sync key while synchronous mode is on.
func isSyncMember(s *Snapshot, view *cluster.View) bool {
	return s.Queried && statusRole(s) == string(cluster.RoleReplica) && s.SynchronousMode &&
		view != nil && view.Sync.Matches(s.Name, false)
}

// statusDoc builds the node status document (GET /patroni and health checks) in
// Patroni 4.1's key order.
func statusDoc(s *Snapshot, now time.Time) *obj {
	view := s.FreshView(now)
	d := newObj()
	d.set("state", statusState(s))
	if s.Queried {
		if !s.PostmasterStartTime.IsZero() {
			d.set("postmaster_start_time", pyStrTime(s.PostmasterStartTime))
		} else {
			d.set("postmaster_start_time", nil)
		}
	}
	d.set("role", statusRole(s))
	if s.Queried {
		d.set("server_version", s.ServerVersion)
		d.set("xlog", xlogDoc(s))
		if isSyncMember(s, view) {
			if s.QuorumCommit {
				d.set("quorum_standby", true)
			} else {
				d.set("sync_standby", true)
			}
		}
		d.set("timeline", s.Timeline)
		if s.ReplicationState != "" {
			d.set("replication_state", s.ReplicationState)
		}
		if len(s.Replication) > 0 {
			d.set("replication", replicationDoc(s.Replication))
		}
	}
	addPatroniFields(d, s, view)
	return d
}

func xlogDoc(s *Snapshot) *obj {
	x := newObj()
	if !s.InRecovery {
		x.set("location", s.XLogLocation)
		return x
	}
	x.set("received_location", s.ReceivedLocation)
	x.set("replayed_location", s.ReplayedLocation)
	if s.ReplayedTimestamp != nil {
		x.set("replayed_timestamp", pyStrTime(*s.ReplayedTimestamp))
	} else {
		x.set("replayed_timestamp", nil)
	}
	x.set("paused", s.ReplayPaused)
	return x
}

func replicationDoc(rows []ReplicationRow) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		o := newObj()
		o.set("usename", r.Usename)
		o.set("application_name", r.ApplicationName)
		if r.ClientAddr != "" {
			o.set("client_addr", r.ClientAddr)
		} else {
			o.set("client_addr", nil)
		}
		o.set("state", r.State)
		o.set("sync_state", r.SyncState)
		o.set("sync_priority", r.SyncPriority)
		out[i] = o
	}
	return out
}

func addPatroniFields(d *obj, s *Snapshot, view *cluster.View) {
	if s.Paused {
		d.set("pause", true)
	}
	if view == nil || view.IsUnlocked() {
		d.set("cluster_unlocked", true)
	}
	if s.FailsafeActive {
		d.set("failsafe_mode_is_active", true)
	}
	d.set("dcs_last_seen", epochSeconds(s.DCSLastSeen))
	if len(s.Tags) > 0 {
		d.set("tags", s.Tags)
	}
	if s.SystemID != "" {
		d.set("database_system_identifier", s.SystemID)
	}
	if s.PendingRestart || len(s.PendingRestartReason) > 0 {
		d.set("pending_restart", true)
		d.set("pending_restart_reason", pendingReasonDoc(s.PendingRestartReason))
	}
	p := newObj()
	p.set("version", s.Version)
	p.set("scope", s.Scope)
	p.set("name", s.Name)
	d.set("patroni", p)
	if s.ScheduledRestart != nil {
		d.set("scheduled_restart", scheduledRestartDoc(s.ScheduledRestart))
	}
	if s.WatchdogFailed {
		d.set("watchdog_failed", true)
	}
}

func epochSeconds(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func pendingReasonDoc(m map[string]cluster.PendingChange) *obj {
	out := newObj()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		c := newObj()
		c.set("old_value", m[k].OldValue)
		c.set("new_value", m[k].NewValue)
		out.set(k, c)
	}
	return out
}

func scheduledRestartDoc(r *ScheduledRestart) *obj {
	o := newObj()
	o.set("schedule", cluster.FormatTimestamp(r.Schedule))
	if r.RestartPending {
		o.set("restart_pending", true)
	}
	if r.Role != "" {
		o.set("role", r.Role)
	}
	if r.PostgresVersion != "" {
		o.set("postgres_version", r.PostgresVersion)
	}
	if r.Timeout > 0 {
		o.set("timeout", r.Timeout)
	}
	return o
}
