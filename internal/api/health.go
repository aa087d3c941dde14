package api

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// queryFirst is Python's parse_qs(...)[key][0]: blank values are dropped.
func queryFirst(q url.Values, key string) (string, bool) {
	for _, v := range q[key] {
		if v != "" {
			return v, true
		}
	}
	return "", false
}

type healthCodes struct {
	replica, leader, primary, standby int
}

func code(ok bool) int {
	if ok {
		return 200
	}
	return 503
}

// computeCodes is Patroni 4.1's decision table for the role health checks.
func computeCodes(s *Snapshot, view *cluster.View, now time.Time, q url.Values) healthCodes {
	role := statusRole(s)
	leaderOptime := s.LatestEndLSN
	if view != nil {
		leaderOptime = max(leaderOptime, view.Status.Optime)
	}
	maxLag := int64(math.MaxInt64)
	if v, ok := queryFirst(q, "lag"); ok {
		if n, ok := parseInt(v, "B"); ok {
			maxLag = n
		}
	}
	replayed := int64(0)
	if s.Queried && s.InRecovery {
		replayed = s.ReplayedLocation
	}
	lagging := leaderOptime != 0 && leaderOptime > satAdd(replayed, maxLag)
	stateOK := true
	if want, ok := queryFirst(q, "replication_state"); ok {
		stateOK = s.Queried && s.ReplicationState == want
	}
	var c healthCodes
	c.replica = code(!cluster.Tags(s.configuredTags()).NoLoadBalance() && !lagging &&
		role == string(cluster.RoleReplica) && statusState(s) == "running" && stateOK)
	switch {
	case view == nil && s.Paused:
		c.leader = code(role == "primary" || role == "master" || role == "standby_leader")
		c.primary = code(role == "primary" || role == "master")
		c.standby = code(role == "standby_leader")
	case s.IsLeader(now):
		c.leader = 200
		if s.StandbyCluster {
			c.primary, c.replica = 503, 503
			c.standby = code(role == "replica" || role == "standby_leader")
		} else {
			// Unlike Patroni, a leader whose PostgreSQL is down, starting or being demoted
			// is not a primary to a load balancer: writes sent there would fail anyway.
			c.primary, c.standby = code(s.State == "running" && (role == "primary" || role == "master")), 503
		}
	default:
		c.leader, c.primary, c.standby = 503, 503, 503
	}
	return c
}

func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// healthStatus returns the status code of a health-check path ("/" is "/primary").
func healthStatus(s *Snapshot, now time.Time, path string, q url.Values) int {
	if path == "/" {
		path = "/primary"
	}
	view := s.FreshView(now)
	c := computeCodes(s, view, now, q)
	either := c.primary == 200 || c.standby == 200
	status, ignoreTags := 503, false
	switch {
	case strings.Contains(path, "standby_leader") || strings.Contains(path, "standby-leader"):
		status, ignoreTags = c.standby, true
	case strings.Contains(path, "leader"):
		status, ignoreTags = c.leader, true
	case strings.Contains(path, "master") || strings.Contains(path, "primary") || strings.Contains(path, "read-write"):
		status, ignoreTags = c.primary, true
	case strings.Contains(path, "replica"):
		status = c.replica
	case strings.Contains(path, "read-only") && !strings.Contains(path, "sync") && !strings.Contains(path, "quorum"):
		status = c.replica
		if either {
			status = 200
		}
	case strings.Contains(path, "health"):
		status = code(statusState(s) == "running")
	case view != nil:
		status = syncPathStatus(s, view, path, c, either)
	}
	if !ignoreTags && status == 200 && !tagsMatch(s.configuredTags(), q) {
		status = 503
	}
	return status
}

func syncPathStatus(s *Snapshot, view *cluster.View, path string, c healthCodes, either bool) int {
	member := isSyncMember(s, view)
	isQuorum, isSync := member && s.QuorumCommit, member && !s.QuorumCommit
	switch {
	case (path == "/sync" || path == "/synchronous") && isSync:
		return c.replica
	case path == "/quorum" && isQuorum:
		return c.replica
	case (path == "/async" || path == "/asynchronous") && !isSync && !isQuorum:
		return c.replica
	case path == "/read-only-quorum":
		if either {
			return 200
		}
		if isQuorum {
			return c.replica
		}
	case path == "/read-only-sync" || path == "/read-only-synchronous":
		if either {
			return 200
		}
		if isSync {
			return c.replica
		}
	}
	return 503
}

// tagsMatch applies tag_<key>=<value> filters against the configured tags; non-string
// tag values compare as Python's str(value).lower().
func tagsMatch(tags map[string]any, q url.Values) bool {
	for key := range q {
		name, ok := strings.CutPrefix(key, "tag_")
		if !ok {
			continue
		}
		want, ok := queryFirst(q, key)
		if !ok {
			continue
		}
		have, present := tags[name]
		if !present || have == nil {
			return false
		}
		hs, isStr := have.(string)
		if !isStr {
			hs = strings.ToLower(pyStrAny(have))
		}
		if hs != want {
			return false
		}
	}
	return true
}

// pyStrAny is str() of a configured tag value (YAML-decoded Go types included).
func pyStrAny(v any) string {
	switch x := v.(type) {
	case int:
		return fmt.Sprint(x)
	case int64:
		return fmt.Sprint(x)
	case uint64:
		return fmt.Sprint(x)
	case float64:
		return pyFloat(x)
	case map[string]any, []any:
		return fmt.Sprint(x)
	}
	return pyStr(v)
}

// livenessStatus: the HA loop is not stuck (or the cluster is paused).
func livenessStatus(s *Snapshot, now time.Time) int {
	ttl := s.TTL
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	threshold := 2 * ttl
	if s.Role.IsPrimary() && s.State == "running" {
		threshold = ttl
	}
	return code(s.Paused || s.NextRun.Add(threshold).After(now))
}

// readinessStatus is Patroni 4.1's readiness: leader, or a streaming replica within
// the allowed lag (query lag, default maximum_lag_on_failover; mode=write|apply).
func readinessStatus(s *Snapshot, now time.Time, q url.Values) int {
	if s.IsLeader(now) {
		return 200
	}
	if s.State != "running" || !s.Queried || s.ReplicationState != "streaming" {
		return 503
	}
	view := s.FreshView(now)
	if view == nil && s.LatestEndLSN == 0 {
		return code(s.FailsafeActive)
	}
	optime := s.LatestEndLSN
	if view != nil {
		optime = max(optime, view.Status.Optime)
	}
	loc := s.ReplayedLocation
	if m, _ := queryFirst(q, "mode"); m == "write" {
		loc = s.ReceivedLocation
	}
	maxLag := s.MaximumLagOnFailover
	if v, ok := queryFirst(q, "lag"); ok {
		if n, ok := parseInt(v, "B"); ok {
			maxLag = n
		}
	}
	return code(optime-loc <= maxLag)
}
