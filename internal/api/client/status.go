package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/patroni-go/patroni/internal/cluster"
)

// XLog is the WAL part of a status document ("xlog", or "wal" from some writers).
// A primary reports Location; a replica the other fields.
type XLog struct {
	Location          int64
	ReceivedLocation  int64
	ReplayedLocation  int64
	ReplayedTimestamp string // "" when null
	Paused            bool
}

// ReplicationRow is one entry of "replication" (pg_stat_replication).
type ReplicationRow struct {
	Usename         string `json:"usename"`
	ApplicationName string `json:"application_name"`
	ClientAddr      string `json:"client_addr"`
	State           string `json:"state"`
	SyncState       string `json:"sync_state"`
	SyncPriority    int64  `json:"sync_priority"`
}

// PatroniInfo is the "patroni" object.
type PatroniInfo struct {
	Version string `json:"version"`
	Scope   string `json:"scope"`
	Name    string `json:"name"`
}

// NodeStatus is a member's status document (GET /patroni or a health check), read
// leniently: Patroni 3.x and 4.x peers, role master or primary, xlog or wal.
type NodeStatus struct {
	State                string
	PostmasterStartTime  string
	Role                 string // as sent: master, primary, replica, standby_leader, ...
	ServerVersion        int64
	XLog                 *XLog // nil: PostgreSQL was not queryable, the peer counts as unreachable
	Timeline             int64
	LatestEndLSN         int64
	ReplicationState     string
	Replication          []ReplicationRow
	SyncStandby          bool
	QuorumStandby        bool
	Pause                bool
	ClusterUnlocked      bool
	FailsafeActive       bool
	DCSLastSeen          int64
	Tags                 map[string]any
	SystemID             string // database_system_identifier
	PendingRestart       bool
	PendingRestartReason map[string]map[string]any
	Patroni              PatroniInfo
	ScheduledRestart     map[string]any
	WatchdogFailed       bool
	// Raw is the whole decoded document, numbers as json.Number.
	Raw map[string]any
}

// Reachable is Patroni's test in the leader race: the document carries WAL positions.
func (s *NodeStatus) Reachable() bool { return s != nil && s.XLog != nil }

// InRecovery: not a primary (no flush location and role neither master nor primary).
func (s *NodeStatus) InRecovery() bool {
	if s == nil || s.XLog == nil {
		return true
	}
	return !(s.XLog.Location != 0 || s.Role == "master" || s.Role == "primary")
}

// WALPosition is max(received, replayed) for a replica and 0 for a primary, the value
// compared in the leader race.
func (s *NodeStatus) WALPosition() int64 {
	if !s.InRecovery() || s.XLog == nil {
		return 0
	}
	return max(s.XLog.ReceivedLocation, s.XLog.ReplayedLocation)
}

// NoFailover reads tags.nofailover / failover_priority the way the leader race does.
func (s *NodeStatus) NoFailover() bool {
	if v, ok := s.Tags["nofailover"]; ok && v != nil {
		return cluster.Truthy(v)
	}
	if p, ok := toInt(s.Tags["failover_priority"]); ok {
		return p <= 0
	}
	return false
}

// ParseNodeStatus decodes a status document. It fails only when the body is not a JSON
// object; missing or mistyped fields are left zero.
func ParseNodeStatus(body []byte) (*NodeStatus, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return nil, fmt.Errorf("status document is not a JSON object: %.200q", body)
	}
	s := &NodeStatus{Raw: raw}
	s.State = str(raw["state"])
	s.PostmasterStartTime = str(raw["postmaster_start_time"])
	s.Role = str(raw["role"])
	s.ServerVersion, _ = toInt(raw["server_version"])
	s.XLog = parseXLog(raw)
	s.Timeline, _ = toInt(raw["timeline"])
	s.LatestEndLSN, _ = toInt(raw["latest_end_lsn"])
	s.ReplicationState = str(raw["replication_state"])
	s.Replication = parseReplication(raw["replication"])
	s.SyncStandby = cluster.Truthy(raw["sync_standby"])
	s.QuorumStandby = cluster.Truthy(raw["quorum_standby"])
	s.Pause = cluster.Truthy(raw["pause"])
	s.ClusterUnlocked = cluster.Truthy(raw["cluster_unlocked"])
	s.FailsafeActive = cluster.Truthy(raw["failsafe_mode_is_active"])
	s.DCSLastSeen, _ = toInt(raw["dcs_last_seen"])
	s.Tags, _ = raw["tags"].(map[string]any)
	s.SystemID = str(raw["database_system_identifier"])
	s.PendingRestart = cluster.Truthy(raw["pending_restart"])
	if m, ok := raw["pending_restart_reason"].(map[string]any); ok {
		s.PendingRestartReason = make(map[string]map[string]any, len(m))
		for k, v := range m {
			s.PendingRestartReason[k], _ = v.(map[string]any)
		}
	}
	if p, ok := raw["patroni"].(map[string]any); ok {
		s.Patroni = PatroniInfo{Version: str(p["version"]), Scope: str(p["scope"]), Name: str(p["name"])}
	}
	s.ScheduledRestart, _ = raw["scheduled_restart"].(map[string]any)
	s.WatchdogFailed = cluster.Truthy(raw["watchdog_failed"])
	return s, nil
}

func parseXLog(raw map[string]any) *XLog {
	m, ok := raw["wal"].(map[string]any)
	if !ok || len(m) == 0 {
		if m, ok = raw["xlog"].(map[string]any); !ok {
			return nil
		}
	}
	x := &XLog{}
	x.Location, _ = toInt(m["location"])
	x.ReceivedLocation, _ = toInt(m["received_location"])
	x.ReplayedLocation, _ = toInt(m["replayed_location"])
	x.ReplayedTimestamp = str(m["replayed_timestamp"])
	x.Paused = cluster.Truthy(m["paused"])
	return x
}

func parseReplication(v any) []ReplicationRow {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]ReplicationRow, 0, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		prio, _ := toInt(m["sync_priority"])
		out = append(out, ReplicationRow{
			Usename: str(m["usename"]), ApplicationName: str(m["application_name"]),
			ClientAddr: str(m["client_addr"]), State: str(m["state"]),
			SyncState: str(m["sync_state"]), SyncPriority: prio,
		})
	}
	return out
}

// GetStatus fetches a member's status document from its api_url (GET /patroni). A
// peer whose answer is not a JSON object is an error; check Reachable() for the leader
// race criterion.
func (c *Client) GetStatus(ctx context.Context, apiURL string) (*NodeStatus, error) {
	resp, err := c.Do(ctx, "GET", apiURL, "", nil)
	if err != nil {
		return nil, err
	}
	return ParseNodeStatus(resp.Body)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// toInt is not cluster.AsInt: a string here must be digits only (no surrounding
// spaces), and only the types a UseNumber decoder yields count.
func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, true
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<62 {
			return int64(f), true
		}
	case string:
		if i, err := strconv.ParseInt(x, 10, 64); err == nil {
			return i, true
		}
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func marshalMap(m map[string]any) ([]byte, error) { return json.Marshal(m) }
