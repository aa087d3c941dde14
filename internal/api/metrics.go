package api

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// postgresStates numbers PostgreSQL states for patroni_postgres_state; the indexes
// are Patroni's and must never change.
var postgresStates = []string{
	"initializing new cluster", "initdb failed", "running custom bootstrap script",
	"custom bootstrap failed", "creating replica", "running", "starting",
	"starting after custom bootstrap", "start failed", "restarting", "restart failed",
	"stopping", "stopped", "stop failed", "crashed",
}

var postgresStateNames = []string{
	"initdb", "initdb_failed", "custom_bootstrap", "custom_bootstrap_failed", "creating_replica",
	"running", "starting", "bootstrap_starting", "start_failed", "restarting", "restart_failed",
	"stopping", "stopped", "stop_failed", "crashed",
}

func stateIndex(state string) int {
	for i, s := range postgresStates {
		if s == state {
			return i
		}
	}
	return -1
}

// metricsWriter emits Prometheus text exposition in Patroni's order and wording.
type metricsWriter struct {
	buf    bytes.Buffer
	labels string
}

func (m *metricsWriter) metric(name, typ, help string, value string) {
	m.buf.WriteString("# HELP " + name + " " + help + "\n")
	m.buf.WriteString("# TYPE " + name + " " + typ + "\n")
	m.buf.WriteString(name + m.labels + " " + value + "\n")
}

func b2s(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func i2s(i int64) string { return strconv.FormatInt(i, 10) }

func epochFloat(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "0"
	}
	return pyFloat(float64(t.UnixMicro()) / 1e6)
}

// labelValue escapes a label value for the text format.
var labelValue = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace

func (s *Server) getMetrics(w http.ResponseWriter, r *http.Request) {
	s.refresh(r)
	snap := s.opts.Publisher.Load()
	s.write(w, http.StatusOK, "text/plain", renderMetrics(snap, s.opts.Now()))
}

func renderMetrics(s *Snapshot, now time.Time) []byte {
	m := &metricsWriter{labels: `{scope="` + labelValue(s.Scope) + `",name="` + labelValue(s.Name) + `"}`}
	view := s.FreshView(now)
	role := statusRole(s)
	state := statusState(s)
	q := s.Queried
	primary := q && !s.InRecovery
	replica := q && s.InRecovery
	sync := isSyncMember(s, view)
	m.metric("patroni_version", "gauge", "Patroni semver without periods.", paddedVersion(s.Version))
	m.metric("patroni_postgres_running", "gauge", "Value is 1 if Postgres is running, 0 otherwise.", b2s(state == "running"))
	pst := &s.PostmasterStartTime
	if !q {
		pst = nil
	}
	m.metric("patroni_postmaster_start_time", "gauge", "Epoch seconds since Postgres started.", epochFloat(pst))
	m.metric("patroni_primary", "gauge", "Value is 1 if this node is the leader, 0 otherwise.", b2s(role == "primary"))
	m.metric("patroni_xlog_location", "counter", "Current location of the Postgres transaction log, 0 if this node is not the leader.", i2s(pick(primary, s.XLogLocation)))
	m.metric("patroni_standby_leader", "gauge", "Value is 1 if this node is the standby_leader, 0 otherwise.", b2s(role == "standby_leader"))
	m.metric("patroni_replica", "gauge", "Value is 1 if this node is a replica, 0 otherwise.", b2s(role == "replica"))
	m.metric("patroni_sync_standby", "gauge", "Value is 1 if this node is a sync standby, 0 otherwise.", b2s(sync && !s.QuorumCommit))
	m.metric("patroni_quorum_standby", "gauge", "Value is 1 if this node is a quorum standby, 0 otherwise.", b2s(sync && s.QuorumCommit))
	m.metric("patroni_xlog_received_location", "counter", "Current location of the received Postgres transaction log, 0 if this node is not a replica.", i2s(pick(replica, s.ReceivedLocation)))
	m.metric("patroni_xlog_replayed_location", "counter", "Current location of the replayed Postgres transaction log, 0 if this node is not a replica.", i2s(pick(replica, s.ReplayedLocation)))
	var rts *time.Time
	if replica {
		rts = s.ReplayedTimestamp
	}
	m.metric("patroni_xlog_replayed_timestamp", "gauge", "Current timestamp of the replayed Postgres transaction log, 0 if null.", epochFloat(rts))
	m.metric("patroni_xlog_paused", "gauge", "Value is 1 if the Postgres xlog is paused, 0 otherwise.", b2s(replica && s.ReplayPaused))
	version := int64(0)
	if q {
		version = int64(s.ServerVersion)
	}
	if version >= 90600 {
		m.metric("patroni_postgres_streaming", "gauge", "Value is 1 if Postgres is streaming, 0 otherwise.", b2s(s.ReplicationState == "streaming"))
		m.metric("patroni_postgres_in_archive_recovery", "gauge", "Value is 1 if Postgres is replicating from archive, 0 otherwise.", b2s(s.ReplicationState == "in archive recovery"))
	}
	m.metric("patroni_postgres_server_version", "gauge", "Version of Postgres (if running), 0 otherwise.", i2s(version))
	m.metric("patroni_cluster_unlocked", "gauge", "Value is 1 if the cluster is unlocked, 0 if locked.", b2s(view == nil || view.IsUnlocked()))
	m.metric("patroni_failsafe_mode_is_active", "gauge", "Value is 1 if failsafe mode is active, 0 if inactive.", b2s(s.FailsafeActive))
	m.metric("patroni_failsafe_mode_enabled", "gauge", "Value is 1 if failsafe_mode is enabled, 0 otherwise.", b2s(s.FailsafeMode))
	_, member := failsafeOf(s)[s.Name]
	m.metric("patroni_failsafe_member", "gauge", "Value is 1 if this node is a member of failsafe, 0 otherwise.", b2s(member))
	m.metric("patroni_postgres_timeline", "gauge", "Postgres timeline of this node (if running), 0 otherwise.", i2s(pick(q, s.Timeline)))
	m.metric("patroni_dcs_last_seen", "gauge", "Epoch timestamp when DCS was last contacted successfully by Patroni.", i2s(epochSeconds(s.DCSLastSeen)))
	m.metric("patroni_pending_restart", "gauge", "Value is 1 if the node needs a restart, 0 otherwise.", b2s(s.PendingRestart || len(s.PendingRestartReason) > 0))
	m.metric("patroni_is_paused", "gauge", "Value is 1 if auto failover is disabled, 0 otherwise.", b2s(s.Paused))
	stateMetric(m, state)
	m.metric("patroni_failover_priority", "gauge", "Failover priority of this node.", i2s(cluster.Tags(s.configuredTags()).FailoverPriority()))
	return m.buf.Bytes()
}

func stateMetric(m *metricsWriter, state string) {
	m.buf.WriteString("# HELP patroni_postgres_state Numeric representation of Postgres state.\n# Values: ")
	for i, n := range postgresStateNames {
		if i > 0 {
			m.buf.WriteString(", ")
		}
		m.buf.WriteString(strconv.Itoa(i) + "=" + n)
	}
	m.buf.WriteString("\n# TYPE patroni_postgres_state gauge\n")
	m.buf.WriteString("patroni_postgres_state" + m.labels + " " + strconv.Itoa(stateIndex(state)) + "\n")
}

func failsafeOf(s *Snapshot) cluster.Failsafe {
	if s.View == nil {
		return nil
	}
	return s.View.Failsafe
}

func pick(ok bool, v int64) int64 {
	if ok {
		return v
	}
	return 0
}

// paddedVersion zero-pads each version component to two digits: 4.1.4 → 040104.
func paddedVersion(v string) string {
	var b strings.Builder
	for _, p := range strings.Split(v, ".") {
		if len(p) < 2 {
			b.WriteString(strings.Repeat("0", 2-len(p)))
		}
		b.WriteString(p)
	}
	return b.String()
}
