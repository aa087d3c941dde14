package ctl

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/patroni-go/patroni/internal/cluster"
)

// globalConfig is the cluster's dynamic configuration as patronictl reads it:
// empty unless the config key is valid.
type globalConfig map[string]any

func globalConfigOf(v *cluster.View) globalConfig {
	if v != nil && v.Config.IsValid() {
		return v.Config.Data
	}
	return globalConfig{}
}

func (g globalConfig) mode(name string) bool {
	b, ok := cluster.ParseBool(g[name])
	return ok && b
}

func (g globalConfig) paused() bool { return g.mode("pause") }

func (g globalConfig) quorumMode() bool {
	s, ok := g["synchronous_mode"].(string)
	return ok && strings.EqualFold(s, "quorum")
}

func (g globalConfig) synchronousMode() bool {
	return (g.mode("synchronous_mode") || g.quorumMode()) && !g.standbyCluster()
}

func (g globalConfig) standbyCluster() bool {
	sc, ok := g["standby_cluster"].(map[string]any)
	if !ok {
		return false
	}
	for _, k := range []string{"host", "port", "restore_command"} {
		if pyTruthy(sc[k]) {
			return true
		}
	}
	return false
}

// loopWait is the cluster's loop_wait, default 10 (what the DCS object uses).
func (g globalConfig) loopWait() int64 {
	if v := normalizeValue(g["loop_wait"]); v != nil {
		switch x := v.(type) {
		case int64:
			if x != 0 {
				return x
			}
		case float64:
			if x != 0 {
				return int64(x)
			}
		}
	}
	return 10
}

// memberInfo is one member as Patroni's cluster_as_json describes it.
type memberInfo struct {
	m        *cluster.Member
	name     string
	role     string // leader, standby_leader, sync_standby, quorum_standby, replica
	state    string
	host     string
	port     int
	isLeader bool
	// LSN/lag triples for receive_, replay_ and the legacy combined position.
	lsn [3]lsnInfo
}

type lsnInfo struct {
	lsn     string // formatted, or "unknown"
	lag     int64
	unknown bool
}

// clusterInfo is cluster_as_json minus what patronictl does not print.
type clusterInfo struct {
	members   []memberInfo
	paused    bool
	scheduled *cluster.Failover // a failover key with scheduled_at
}

func clusterAsJSON(v *cluster.View) clusterInfo {
	gc := globalConfigOf(v)
	leader := v.LeaderName()
	syncRole := "sync_standby"
	if gc.quorumMode() {
		syncRole = "quorum_standby"
	}
	var ci clusterInfo
	for i := range v.Members {
		m := &v.Members[i]
		mi := memberInfo{m: m, name: m.Name, role: "replica"}
		switch {
		case v.Leader != nil && m.Name == leader:
			mi.role, mi.isLeader = "leader", true
			if gc.standbyCluster() {
				mi.role = "standby_leader"
			}
		case gc.synchronousMode() && v.Sync.Matches(m.Name, false):
			mi.role = syncRole
		}
		mi.state = m.State
		if mi.role != "leader" && m.ReplicationState != "" {
			mi.state = m.ReplicationState
		}
		mi.host, mi.port = connHostPort(m.ConnURL)
		if !mi.isLeader {
			for j, p := range []*int64{m.ReceiveLSN, m.ReplayLSN, m.XLogLocation} {
				mi.lsn[j] = lagOf(v.Status.Optime, p)
			}
		}
		ci.members = append(ci.members, mi)
	}
	ci.paused = gc.paused()
	if v.Failover != nil && v.Failover.ScheduledAt != nil {
		ci.scheduled = v.Failover
	}
	return ci
}

func lagOf(clusterLSN int64, p *int64) lsnInfo {
	if p == nil || *p == 0 {
		return lsnInfo{lsn: "unknown", unknown: true}
	}
	l := lsnInfo{lsn: formatLSN(*p)}
	if clusterLSN >= *p {
		l.lag = clusterLSN - *p
	}
	return l
}

func formatLSN(lsn int64) string {
	u := uint64(lsn)
	return fmt.Sprintf("%X/%X", u>>32, u&0xFFFFFFFF)
}

// connHostPort is Member.conn_kwargs(): host (lower-cased, as urlparse does)
// and port (default 5432) from conn_url; "" when there is none.
func connHostPort(connURL string) (string, int) {
	if connURL == "" {
		return "", 0
	}
	u, err := url.Parse(connURL)
	if err != nil {
		return "", 0
	}
	host := strings.ToLower(u.Hostname())
	port := 5432
	if p := u.Port(); p != "" {
		fmt.Sscan(p, &port)
	}
	return host, port
}

// pyTruthy is Python's truthiness of a decoded JSON/YAML value.
func pyTruthy(v any) bool {
	switch x := normalizeValue(v).(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case int64:
		return x != 0
	case float64:
		return x != 0
	case map[string]any:
		return len(x) > 0
	case []any:
		return len(x) > 0
	}
	return true
}
