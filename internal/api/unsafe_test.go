package api

import (
	"strings"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

var unsafeEndpoints = []struct{ method, path, body string }{
	{"PATCH", "/config", `{"ttl":20}`},
	{"PUT", "/config", `{"ttl":20}`},
	{"POST", "/reload", ""},
	{"POST", "/failsafe", `{"name":"node1"}`},
	{"POST", "/sigterm", ""},
	{"POST", "/restart", ""},
	{"DELETE", "/restart", ""},
	{"DELETE", "/switchover", ""},
	{"POST", "/reinitialize", ""},
	{"POST", "/failover", `{"candidate":"node2"}`},
	{"POST", "/switchover", `{"leader":"node1"}`},
	{"POST", "/citus", `{"type":"before_demote"}`},
}

func TestUnsafeEndpointsRequireAuth(t *testing.T) {
	for _, e := range unsafeEndpoints {
		h := newHarness(t, Config{Username: "u", Password: "p"}, primarySnap())
		checks := []struct {
			hdr  []string
			msg  string
			code int
		}{
			{nil, "no auth header received", 401},
			{[]string{"Authorization", "Bearer x"}, "not authenticated", 401},
			{[]string{"Authorization", "Basic dTp4"}, "not authenticated", 401},
		}
		for _, c := range checks {
			w := h.do(e.method, e.path, e.body, c.hdr...)
			if w.Code != c.code || w.Body.String() != c.msg || w.Header().Get("WWW-Authenticate") != `Basic realm="Patroni"` {
				t.Errorf("%s %s %v = %d %q", e.method, e.path, c.hdr, w.Code, w.Body.String())
			}
		}
		if n := h.store.nwrites(); n != 0 || len(h.node.called()) != 0 {
			t.Errorf("%s %s: refused request reached store (%d) or node (%v)", e.method, e.path, n, h.node.called())
		}
		if w := h.do(e.method, e.path, e.body, "Authorization", "Basic dTpw"); w.Code == 401 || w.Code == 403 {
			t.Errorf("%s %s with good credentials = %d", e.method, e.path, w.Code)
		}
	}
	h := newHarness(t, Config{Username: "u", Password: "p"}, primarySnap())
	if w := h.do("POST", "/mpp", `{"type":"x"}`); w.Code != 200 || w.Body.String() != "OK" {
		t.Errorf("POST /mpp is not guarded in Patroni: %d", w.Code)
	}
	if w := h.do("GET", "/config", ""); w.Code != 200 {
		t.Errorf("GET /config needs no auth: %d", w.Code)
	}
}

func TestAllowlist(t *testing.T) {
	h := newHarness(t, Config{Allowlist: []string{"10.0.0.0/8"}}, primarySnap())
	if w := h.do("POST", "/reload", ""); w.Code != 403 || w.Body.String() != "Access is denied" {
		t.Errorf("outside allowlist: %d %q", w.Code, w.Body.String())
	}
	h = newHarness(t, Config{Allowlist: []string{"127.0.0.1"}}, primarySnap())
	if w := h.do("POST", "/reload", ""); w.Code != 202 {
		t.Errorf("inside allowlist: %d", w.Code)
	}
	// Members' api_url hosts are allowed: 127.0.0.1 is node1's.
	h = newHarness(t, Config{AllowlistIncludeMembers: true}, primarySnap())
	if w := h.do("POST", "/reload", ""); w.Code != 202 {
		t.Errorf("member address: %d", w.Code)
	}
	snap := primarySnap()
	snap.View = testView(baseConfig)
	snap.View.Members = snap.View.Members[1:]
	h = newHarness(t, Config{AllowlistIncludeMembers: true}, snap)
	if w := h.do("POST", "/reload", ""); w.Code != 403 {
		t.Errorf("non-member address: %d", w.Code)
	}
	// POST /failsafe skips the member part of the allowlist (4.x).
	s := replicaSnap()
	s.View.Members = s.View.Members[1:]
	h = newHarness(t, Config{AllowlistIncludeMembers: true}, s)
	if w := h.do("POST", "/failsafe", `{"name":"node1"}`); w.Code != 200 {
		t.Errorf("failsafe from non-member: %d", w.Code)
	}
}

func TestBodyErrorsWriteNothing(t *testing.T) {
	huge := `{"x":"` + strings.Repeat("a", 2<<20) + `"}`
	cases := []struct {
		method, path, body string
		noLength           bool
		want               int
	}{
		{"PATCH", "/config", `{"ttl":20}`, true, 411},
		{"PATCH", "/config", `{}`, false, 400},
		{"PATCH", "/config", `[1,2]`, false, 400},
		{"PATCH", "/config", `{"ttl":`, false, 400},
		{"PATCH", "/config", `"str"`, false, 400},
		{"PATCH", "/config", huge, false, 400},
		{"PUT", "/config", `{}`, false, 400},
		{"PUT", "/config", `null`, false, 400},
		{"PUT", "/config", `{"a":1}`, true, 411},
		{"POST", "/switchover", `{}`, false, 400},
		{"POST", "/switchover", `{"leader":"node1"}{}`, false, 400},
		{"POST", "/failover", "", false, 400},
		{"POST", "/failover", "", true, 411},
		{"POST", "/failover", `{"foo":"bar"}`, false, 400},
		{"POST", "/restart", `[]`, false, 400},
		{"POST", "/restart", `{"schedule":`, false, 400},
		{"POST", "/reinitialize", `"force"`, false, 400},
		{"POST", "/failsafe", `{}`, false, 400},
	}
	for _, c := range cases {
		h := newHarness(t, Config{}, replicaSnap())
		rec := h.doRaw(c.method, c.path, c.body, c.noLength)
		if rec.Code != c.want {
			t.Errorf("%s %s %.40q = %d, want %d", c.method, c.path, c.body, rec.Code, c.want)
		}
		if h.store.nwrites() != 0 {
			t.Errorf("%s %s %.40q wrote to the store", c.method, c.path, c.body)
		}
		for _, call := range h.node.called() {
			if call != "wake" {
				t.Errorf("%s %s %.40q reached the node: %v", c.method, c.path, c.body, call)
			}
		}
	}
}

func TestPatchConfig(t *testing.T) {
	h := newHarness(t, Config{}, primarySnap())
	w := h.do("PATCH", "/config", `{"ttl":"30","postgresql":{"parameters":{"max_connections":null,"work_mem":"8MB"}},"pause":true,"failsafe_mode":null}`)
	want := `{"ttl": 30, "loop_wait": 10, "postgresql": {"parameters": {"wal_level": "replica", "work_mem": "8MB"}}, "pause": true}`
	if w.Code != 200 || w.Body.String() != want {
		t.Fatalf("PATCH = %d %s", w.Code, w.Body.String())
	}
	if len(h.store.writes) != 1 || h.store.writes[0] != `{"ttl":30,"loop_wait":10,"postgresql":{"parameters":{"wal_level":"replica","work_mem":"8MB"}},"pause":true}` || h.store.versions[0] != 11 {
		t.Errorf("stored %v versions %v", h.store.writes, h.store.versions)
	}
	// "30" vs 30 is no change: nothing written, still 200 with the config.
	h = newHarness(t, Config{}, primarySnap())
	if w := h.do("PATCH", "/config", `{"ttl":"30"}`); w.Code != 200 || len(h.store.writes) != 0 {
		t.Errorf("no-op PATCH = %d, writes %v", w.Code, h.store.writes)
	}
	h = newHarness(t, Config{}, primarySnap())
	h.store.setOK = false
	if w := h.do("PATCH", "/config", `{"ttl":20}`); w.Code != 409 {
		t.Errorf("CAS failure = %d", w.Code)
	}
	s := primarySnap()
	s.View = testView("")
	h = newHarness(t, Config{}, s)
	if w := h.do("PATCH", "/config", `{"ttl":20}`); w.Code != 503 {
		t.Errorf("PATCH without config key = %d", w.Code)
	}
}

func TestPutConfig(t *testing.T) {
	h := newHarness(t, Config{}, primarySnap())
	if w := h.do("PUT", "/config", `{"ttl":20}`); w.Code != 200 || w.Body.String() != `{"ttl": 20}` || len(h.store.writes) != 1 || h.store.versions[0] != noVersion {
		t.Errorf("PUT = %d %s %v", w.Code, w.Body.String(), h.store.versions)
	}
	h = newHarness(t, Config{}, primarySnap())
	if w := h.do("PUT", "/config", baseConfig); w.Code != 200 || len(h.store.writes) != 0 {
		t.Errorf("PUT same config = %d writes %d", w.Code, len(h.store.writes))
	}
	h = newHarness(t, Config{}, primarySnap())
	h.store.setOK = false
	if w := h.do("PUT", "/config", `{"ttl":20}`); w.Code != 502 {
		t.Errorf("PUT write failure = %d", w.Code)
	}
}

func TestRestart(t *testing.T) {
	future := testNow.Add(time.Hour).Format(time.RFC3339)
	cases := []struct {
		name, body string
		paused     bool
		setup      func(*fakeNode)
		code       int
		msg        string
	}{
		{"no body", "", false, nil, 200, "restarted successfully"},
		{"empty object", "{}", false, nil, 200, "restarted successfully"},
		{"conditions", `{"role":"replica","postgres_version":"16.1","restart_pending":true,"timeout":"2min"}`, false, nil, 200, "restarted successfully"},
		{"paused schedule", `{"schedule":"` + future + `"}`, true, nil, 500, "Can't schedule restart in the paused state"},
		{"no tz", `{"schedule":"2030-01-01T00:00:00"}`, false, nil, 400, "Timezone information is mandatory for the scheduled restart"},
		{"past", `{"schedule":"2020-01-01T00:00:00+00:00"}`, false, nil, 422, "Cannot schedule restart in the past"},
		{"unparsable", `{"schedule":"tomorrow"}`, false, nil, 422, "Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601"},
		{"bad role", `{"role":"master"}`, false, nil, 400, "PostgreSQL role should be either primary, standby_leader, or replica"},
		{"bad version format", `{"postgres_version":"9.6"}`, false, nil, 400, "Invalid PostgreSQL version format: X.Y or X.Y.Z is accepted: 9.6"},
		{"bad version", `{"postgres_version":"a.b"}`, false, nil, 400, "Invalid PostgreSQL version: a.b"},
		{"bad timeout", `{"timeout":0}`, false, nil, 400, "Timeout should be a positive number of seconds"},
		{"bad timeout type", `{"timeout":true}`, false, nil, 400, "Timeout should be a positive number of seconds"},
		{"unknown key", `{"foo":1}`, false, nil, 400, "Unknown filter for the scheduled restart: foo"},
		{"first bad key wins", `{"foo":1,"role":"x"}`, false, nil, 400, "Unknown filter for the scheduled restart: foo"},
		{"scheduled", `{"schedule":"` + future + `"}`, false, nil, 202, "Restart scheduled"},
		{"already scheduled", `{"schedule":"` + future + `"}`, false, func(n *fakeNode) { n.scheduleOK = false }, 409, "Another restart is already scheduled"},
		{"conditions not met", `{"restart_pending":true}`, false, func(n *fakeNode) { n.restartOK, n.restartMsg = false, "restart conditions are not satisfied" }, 503, "restart conditions are not satisfied"},
		{"exception", `{}`, false, func(n *fakeNode) { n.restartErr = errBoom }, 400, "restart failed"},
	}
	for _, c := range cases {
		s := primarySnap()
		if c.paused {
			s.View = testView(`{"pause":true}`)
		}
		h := newHarness(t, Config{}, s)
		if c.setup != nil {
			c.setup(h.node)
		}
		w := h.do("POST", "/restart", c.body)
		if w.Code != c.code || w.Body.String() != c.msg {
			t.Errorf("%s: %d %q, want %d %q", c.name, w.Code, w.Body.String(), c.code, c.msg)
		}
	}
	h := newHarness(t, Config{}, primarySnap())
	h.do("POST", "/restart", `{"role":"replica","postgres_version":"16.1","restart_pending":true,"timeout":"2min"}`)
	if r := h.node.lastRestart; r.Role != "replica" || r.PostgresVersion != "16.1" || !r.RestartPending || r.Timeout != 120 || r.Schedule != nil {
		t.Errorf("restart request passed as %+v", r)
	}
}

func TestSimpleActions(t *testing.T) {
	h := newHarness(t, Config{}, primarySnap())
	expect := func(method, path, body string, code int, msg string) {
		t.Helper()
		if w := h.do(method, path, body); w.Code != code || w.Body.String() != msg {
			t.Errorf("%s %s = %d %q, want %d %q", method, path, w.Code, w.Body.String(), code, msg)
		}
	}
	expect("DELETE", "/restart", "", 200, "scheduled restart deleted")
	h.node.cancelOK = false
	expect("DELETE", "/restart", "", 404, "no restarts are scheduled")
	expect("POST", "/reload", "", 202, "reload scheduled")
	expect("POST", "/sigterm", "", 202, "shutdown scheduled")
	expect("POST", "/reinitialize", `{"force":"yes","from_leader":true}`, 200, "reinitialize started")
	if h.node.lastReinit != [2]bool{true, true} {
		t.Errorf("reinit flags %v", h.node.lastReinit)
	}
	h.node.reinitRefuse = "I am the leader, can not reinitialize"
	expect("POST", "/reinitialize", "", 503, "I am the leader, can not reinitialize")
	expect("POST", "/failsafe", `{"name":"node1","conn_url":"postgres://x","api_url":"http://h/patroni","slots":{"s1":100,"bad":"x"}}`, 200, "Accepted")
	if f := h.node.lastFailsafe; f.Name != "node1" || f.Slots["s1"] != 100 || len(f.Slots) != 1 {
		t.Errorf("failsafe passed as %+v", f)
	}
	if w := h.do("POST", "/failsafe", `{"name":"node1"}`); w.Header().Get("lsn") != "4242" {
		t.Errorf("lsn header %q", w.Header().Get("lsn"))
	}
	h.node.failsafeErr = errorString("Running as a leader")
	expect("POST", "/failsafe", `{"name":"node1"}`, 500, "Running as a leader")
	s := primarySnap()
	s.FailsafeMode = false
	h = newHarness(t, Config{}, s)
	if w := h.do("POST", "/failsafe", `{"name":"node1"}`); w.Code != 502 {
		t.Errorf("failsafe disabled = %d", w.Code)
	}
	if w := h.do("POST", "/patroni", `{}`); w.Code != 501 || !strings.Contains(w.Body.String(), "Unsupported method ('POST')") || !strings.Contains(w.Body.String(), "Server does not support this operation") {
		t.Errorf("POST /patroni = %d %s", w.Code, w.Body.String())
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestSwitchover(t *testing.T) {
	future := testNow.Add(time.Hour).Format(time.RFC3339)
	newLeader := func(name string) *cluster.View {
		v := testView(baseConfig)
		v.Leader = &cluster.Leader{Name: name}
		return v
	}
	cleared := testView(baseConfig)
	cleared.Failover = &cluster.Failover{}
	cases := []struct {
		name, path, body string
		config           string
		peersOK          bool
		after            []*cluster.View
		code             int
		msg              string
		writes           bool
	}{
		{"failover needs candidate", "/failover", `{"foo":"bar"}`, baseConfig, true, nil, 400, "Failover could be performed only to a specific candidate", false},
		{"switchover needs leader", "/switchover", `{"candidate":"node2"}`, baseConfig, true, nil, 400, "Switchover could be performed only from a specific leader", false},
		{"failover not schedulable", "/failover", `{"candidate":"node2","scheduled_at":"` + future + `"}`, baseConfig, true, nil, 400, "Failover can't be scheduled", false},
		{"paused schedule", "/switchover", `{"leader":"node1","scheduled_at":"` + future + `"}`, `{"pause":true}`, true, nil, 400, "Can't schedule switchover in the paused state", false},
		{"schedule no tz", "/switchover", `{"leader":"node1","scheduled_at":"2030-01-01 10:00"}`, baseConfig, true, nil, 400, "Timezone information is mandatory for the scheduled switchover", false},
		{"schedule past", "/switchover", `{"leader":"node1","scheduled_at":"2020-01-01T10:00:00Z"}`, baseConfig, true, nil, 422, "Cannot schedule switchover in the past", false},
		{"paused without candidate", "/switchover", `{"leader":"node1"}`, `{"pause":true}`, true, nil, 400, "Switchover is possible only to a specific candidate in a paused state", false},
		{"same", "/switchover", `{"leader":"node1","candidate":"node1"}`, baseConfig, true, nil, 400, "Switchover target and source are the same", false},
		{"leader mismatch", "/switchover", `{"leader":"node2"}`, baseConfig, true, nil, 412, "leader name does not match", false},
		{"not sync", "/switchover", `{"leader":"node1","candidate":"node3"}`, `{"synchronous_mode":true}`, true, nil, 412, "candidate name does not match with sync_standby", false},
		{"no such candidate", "/failover", `{"candidate":"node9"}`, baseConfig, true, nil, 412, "candidate does not exists", false},
		{"no good candidates", "/failover", `{"candidate":"node2"}`, baseConfig, false, nil, 412, "failover is not possible: no good candidates have been found", false},
		{"failover with leader is a switchover", "/failover", `{"leader":"node1","candidate":"node2"}`, baseConfig, false, nil, 412, "switchover is not possible: no good candidates have been found", false},
		{"scheduled", "/switchover", `{"leader":"node1","scheduled_at":"` + future + `"}`, baseConfig, true, nil, 202, "Switchover scheduled", true},
		{"success", "/switchover", `{"leader":"node1","candidate":"node2"}`, baseConfig, true, []*cluster.View{newLeader("node2")}, 200, `Successfully switched over to "node2"`, true},
		{"success any", "/switchover", `{"leader":"node1"}`, baseConfig, true, []*cluster.View{newLeader("node3")}, 200, `Successfully switched over to "node3"`, true},
		{"other member", "/failover", `{"candidate":"node2"}`, baseConfig, true, []*cluster.View{newLeader("node3")}, 200, `Failed over to "node3" instead of "node2"`, true},
		{"failed", "/switchover", `{"leader":"node1","candidate":"node2"}`, baseConfig, true, []*cluster.View{cleared}, 503, "Switchover failed", true},
		{"timeout", "/switchover", `{"leader":"node1","candidate":"node2","member":"x"}`, baseConfig, true, []*cluster.View{failoverPending()}, 503, "Switchover status unknown after 20 seconds; operation may still be in progress", true},
	}
	for _, c := range cases {
		s := primarySnap()
		h := newHarness(t, Config{}, s)
		h.store.views = append([]*cluster.View{testView(c.config)}, c.after...)
		h.srv.opts.Peers = fakePeers{healthy: c.peersOK}
		w := h.do("POST", c.path, c.body)
		if w.Code != c.code || w.Body.String() != c.msg {
			t.Errorf("%s: %d %q, want %d %q", c.name, w.Code, w.Body.String(), c.code, c.msg)
		}
		if (h.store.nwrites() != 0) != c.writes {
			t.Errorf("%s: writes %v", c.name, h.store.failovers)
		}
	}
	// Single node: nobody to switch over to (feature test).
	s := primarySnap()
	h := newHarness(t, Config{}, s)
	v := testView(baseConfig)
	v.Members = v.Members[:1]
	h.store.views = []*cluster.View{v}
	if w := h.do("POST", "/switchover", `{"leader":"node1"}`); w.Code != 412 || w.Body.String() != "switchover is not possible: cluster does not have members except leader" {
		t.Errorf("single node switchover = %d %q", w.Code, w.Body.String())
	}
	h = newHarness(t, Config{}, primarySnap())
	h.store.views = []*cluster.View{testView(baseConfig)}
	h.store.setOK = false
	if w := h.do("POST", "/switchover", `{"leader":"node1","candidate":"node2"}`); w.Code != 503 || w.Body.String() != "failed to write failover key into DCS" {
		t.Errorf("write failure = %d %q", w.Code, w.Body.String())
	}
}

func failoverPending() *cluster.View {
	v := testView(baseConfig)
	v.Failover = &cluster.Failover{Leader: "node1", Member: "node2"}
	return v
}

func TestDeleteSwitchover(t *testing.T) {
	h := newHarness(t, Config{}, primarySnap())
	if w := h.do("DELETE", "/switchover", ""); w.Code != 404 || w.Body.String() != "no switchover is scheduled" {
		t.Errorf("nothing scheduled = %d %q", w.Code, w.Body.String())
	}
	at := testNow.Add(time.Hour)
	v := testView(baseConfig)
	v.Failover = &cluster.Failover{Leader: "node1", ScheduledAt: &at, Version: 42}
	h.store.views = []*cluster.View{v}
	if w := h.do("DELETE", "/switchover", ""); w.Code != 200 || w.Body.String() != "scheduled switchover deleted" {
		t.Errorf("delete = %d %q", w.Code, w.Body.String())
	}
	if len(h.store.failovers) != 1 || !h.store.failovers[0].IsEmpty() || h.store.versions[0] != 42 {
		t.Errorf("wrote %v at %v", h.store.failovers, h.store.versions)
	}
	h.store.setOK = false
	if w := h.do("DELETE", "/switchover", ""); w.Code != 409 {
		t.Errorf("CAS failure = %d", w.Code)
	}
}
