package api

import (
	"strings"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestStatusDocumentPrimary(t *testing.T) {
	h := newHarness(t, Config{}, primarySnap())
	w := h.do("GET", "/patroni", "")
	want := `{"state": "running", "postmaster_start_time": "2024-06-30 09:00:00.966359+00:00", "role": "primary", "server_version": 150004, "xlog": {"location": 67395656}, "timeline": 1, "replication": [{"usename": "replicator", "application_name": "node2", "client_addr": "10.0.0.2", "state": "streaming", "sync_state": "async", "sync_priority": 0}], "dcs_last_seen": 1719741599, "tags": {"clonefrom": true}, "database_system_identifier": "7268616322854375442", "patroni": {"version": "4.1.4", "scope": "demo", "name": "node1"}}`
	if w.Code != 200 || w.Body.String() != want {
		t.Fatalf("GET /patroni = %d\n%s\nwant\n%s", w.Code, w.Body.String(), want)
	}
	if w := h.do("GET", "/patroni/anything", ""); w.Code != 200 {
		t.Errorf("GET /patroni/anything = %d", w.Code)
	}
}

func TestStatusDocumentReplicaAndDown(t *testing.T) {
	s := replicaSnap()
	s.PendingRestartReason = map[string]cluster.PendingChange{"max_connections": {OldValue: "100", NewValue: "101"}}
	s.ScheduledRestart = &ScheduledRestart{Schedule: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), Role: "replica"}
	s.WatchdogFailed, s.Paused, s.FailsafeActive = true, true, true
	h := newHarness(t, Config{}, s)
	got := h.do("GET", "/patroni", "").Body.String()
	want := `{"state": "running", "postmaster_start_time": "2024-06-30 09:00:00.966359+00:00", "role": "replica", "server_version": 150004, "xlog": {"received_location": 67395656, "replayed_location": 67395600, "replayed_timestamp": "2024-06-30 09:59:59+00:00", "paused": false}, "sync_standby": true, "timeline": 1, "replication_state": "streaming", "pause": true, "failsafe_mode_is_active": true, "dcs_last_seen": 1719741599, "tags": {"dc": "east", "nofailover": false, "priority": 1.5}, "database_system_identifier": "7268616322854375442", "pending_restart": true, "pending_restart_reason": {"max_connections": {"old_value": "100", "new_value": "101"}}, "patroni": {"version": "4.1.4", "scope": "demo", "name": "node2"}, "scheduled_restart": {"schedule": "2024-07-01T00:00:00+00:00", "role": "replica"}, "watchdog_failed": true}`
	if got != want {
		t.Fatalf("replica doc\n%s\nwant\n%s", got, want)
	}
	s = replicaSnap()
	s.Queried, s.View = false, nil
	h = newHarness(t, Config{}, s)
	got = h.do("GET", "/patroni", "").Body.String()
	want = `{"state": "unknown", "role": "replica", "cluster_unlocked": true, "dcs_last_seen": 1719741599, "tags": {"dc": "east", "nofailover": false, "priority": 1.5}, "database_system_identifier": "7268616322854375442", "patroni": {"version": "4.1.4", "scope": "demo", "name": "node2"}}`
	if got != want {
		t.Fatalf("down doc\n%s\nwant\n%s", got, want)
	}
}

func TestClusterEndpoint(t *testing.T) {
	h := newHarness(t, Config{}, primarySnap())
	h.store.views[0] = testView(`{"synchronous_mode":true,"pause":true}`)
	got := h.do("GET", "/cluster", "").Body.String()
	want := `{"members": [` +
		`{"name": "node1", "role": "leader", "state": "running", "api_url": "http://127.0.0.1:8008/patroni", "host": "10.0.0.1", "port": 5432, "timeline": 1}, ` +
		`{"name": "node2", "role": "sync_standby", "state": "streaming", "api_url": "http://127.0.0.2:8008/patroni", "host": "10.0.0.2", "port": 5432, "timeline": 1, "tags": {"dc": "east"}, "receive_lag": 0, "receive_lsn": "0/4046048", "replay_lag": 56, "replay_lsn": "0/4046010", "lag": 56, "lsn": "0/4046010"}, ` +
		`{"name": "node3", "role": "replica", "state": "stopped", "api_url": "http://127.0.0.3:8008/patroni", "host": "10.0.0.3", "port": 5432, "receive_lsn": "unknown", "receive_lag": "unknown", "replay_lsn": "unknown", "replay_lag": "unknown", "lsn": "unknown", "lag": "unknown"}], ` +
		`"pause": true, "scope": "demo"}`
	if got != want {
		t.Fatalf("GET /cluster\n%s\nwant\n%s", got, want)
	}
	h.store.loadErr = errBoom
	if w := h.do("GET", "/cluster", ""); w.Code != 503 {
		t.Errorf("GET /cluster with DCS down = %d", w.Code)
	}
}

func TestHistoryConfigFailsafe(t *testing.T) {
	h := newHarness(t, Config{}, primarySnap())
	if got := h.do("GET", "/history", "").Body.String(); got != `[[1, 25165984, "no recovery target specified", "2024-06-30T09:00:00+00:00", "node1"]]` {
		t.Errorf("GET /history = %s", got)
	}
	w := h.do("GET", "/config", "")
	if w.Code != 200 || w.Body.String() != `{"ttl": 30, "loop_wait": 10, "postgresql": {"parameters": {"max_connections": 100, "wal_level": "replica"}}, "failsafe_mode": true}` {
		t.Errorf("GET /config = %d %s", w.Code, w.Body.String())
	}
	if got := h.do("GET", "/failsafe", "").Body.String(); got != `{"node1": "http://127.0.0.1:8008/patroni", "node2": "http://127.0.0.2:8008/patroni"}` {
		t.Errorf("GET /failsafe = %s", got)
	}
	s := primarySnap()
	s.View = testView("")
	s.View.Failsafe = nil
	h = newHarness(t, Config{}, s)
	if w := h.do("GET", "/config", ""); w.Code != 502 || !strings.Contains(w.Body.String(), "Error code: 502") {
		t.Errorf("GET /config without key = %d %s", w.Code, w.Body.String())
	}
	if w := h.do("GET", "/failsafe", ""); w.Code != 502 {
		t.Errorf("GET /failsafe without key = %d", w.Code)
	}
	s = primarySnap()
	s.View = &cluster.View{}
	h = newHarness(t, Config{}, s)
	if got := h.do("GET", "/history", "").Body.String(); got != `[]` {
		t.Errorf("GET /history empty = %s", got)
	}
}

func TestMetrics(t *testing.T) {
	for _, snap := range []*Snapshot{primarySnap(), replicaSnap()} {
		h := newHarness(t, Config{}, snap)
		w := h.do("GET", "/metrics", "")
		if w.Code != 200 || w.Header().Get("Content-Type") != "text/plain" {
			t.Fatalf("GET /metrics = %d %q", w.Code, w.Header().Get("Content-Type"))
		}
		p := expfmt.NewTextParser(model.LegacyValidation)
		fams, err := p.TextToMetricFamilies(strings.NewReader(w.Body.String()))
		if err != nil {
			t.Fatalf("Prometheus cannot parse /metrics: %v\n%s", err, w.Body.String())
		}
		value := func(name string) float64 {
			f := fams[name]
			if f == nil || len(f.Metric) != 1 {
				t.Fatalf("metric %s missing", name)
			}
			m := f.Metric[0]
			if len(m.Label) != 2 || m.Label[0].GetValue() == "" {
				t.Fatalf("metric %s labels %v", name, m.Label)
			}
			if m.Gauge != nil {
				return m.Gauge.GetValue()
			}
			return m.Counter.GetValue()
		}
		if value("patroni_version") != 40104 || value("patroni_postgres_running") != 1 || value("patroni_postgres_state") != 5 {
			t.Errorf("version/running/state wrong:\n%s", w.Body.String())
		}
		if snap.InRecovery {
			if value("patroni_replica") != 1 || value("patroni_sync_standby") != 1 || value("patroni_xlog_replayed_location") != 67395600 || value("patroni_failover_priority") != 1 {
				t.Errorf("replica metrics wrong:\n%s", w.Body.String())
			}
		} else if value("patroni_primary") != 1 || value("patroni_xlog_location") != 67395656 || value("patroni_failsafe_member") != 1 || value("patroni_postmaster_start_time") != 1719738000.966359 {
			t.Errorf("primary metrics wrong:\n%s", w.Body.String())
		}
		if len(fams) != 26 {
			t.Errorf("%d metric families, want 26", len(fams))
		}
		_ = model.LabelName("")
	}
}
