package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

func TestHealthCodes(t *testing.T) {
	standbyLeader := func() *Snapshot {
		s := replicaSnap()
		s.StandbyCluster, s.SynchronousMode, s.Role = true, false, cluster.RoleStandbyLeader
		s.LeaderUntil = testNow.Add(time.Second)
		return s
	}
	pausedNoView := func() *Snapshot {
		s := primarySnap()
		s.Paused, s.LeaderUntil, s.ViewTime = true, time.Time{}, testNow.Add(-time.Hour)
		return s
	}
	expiredLock := func() *Snapshot { s := primarySnap(); s.LeaderUntil = testNow; return s }
	leaderPGDown := func() *Snapshot { s := primarySnap(); s.State = "crashed"; return s }
	leaderDemoting := func() *Snapshot { s := primarySnap(); s.State, s.Role = "stopping", cluster.RoleDemoted; return s }
	noLB := func() *Snapshot {
		s := replicaSnap()
		s.ConfiguredTags = map[string]any{"noloadbalance": true}
		return s
	}
	pgDown := func() *Snapshot { s := replicaSnap(); s.Queried, s.State = false, "stopped"; return s }
	pgUnknown := func() *Snapshot { s := replicaSnap(); s.Queried = false; return s }
	quorum := func() *Snapshot { s := replicaSnap(); s.QuorumCommit = true; return s }
	asyncReplica := func() *Snapshot { s := replicaSnap(); s.Name = "node3"; return s }
	staleView := func() *Snapshot { s := replicaSnap(); s.ViewTime = testNow.Add(-31 * time.Second); return s }
	archive := func() *Snapshot { s := replicaSnap(); s.ReplicationState = "in archive recovery"; return s }

	cases := []struct {
		name string
		snap func() *Snapshot
		path string
		want int
	}{
		{"primary /", primarySnap, "/", 200},
		{"primary /primary", primarySnap, "/primary", 200},
		{"primary /master", primarySnap, "/master", 200},
		{"primary /read-write", primarySnap, "/read-write", 200},
		{"primary /leader", primarySnap, "/leader", 200},
		{"primary /standby-leader", primarySnap, "/standby-leader", 503},
		{"primary /standby_leader", primarySnap, "/standby_leader", 503},
		{"primary /replica", primarySnap, "/replica", 503},
		{"primary /read-only", primarySnap, "/read-only", 200},
		{"primary /health", primarySnap, "/health", 200},
		{"primary /sync", primarySnap, "/sync", 503},
		{"primary /async", primarySnap, "/async", 503},
		{"primary /read-only-sync", primarySnap, "/read-only-sync", 200},
		{"primary /read-only-quorum", primarySnap, "/read-only-quorum", 200},
		{"primary unknown path", primarySnap, "/whatever", 503},
		{"primary tag filter ignored", primarySnap, "/primary?tag_dc=west", 200},
		{"expired lock /primary", expiredLock, "/primary", 503},
		{"expired lock /leader", expiredLock, "/leader", 503},
		{"leader with crashed postgres /primary", leaderPGDown, "/primary", 503},
		{"leader with crashed postgres /leader", leaderPGDown, "/leader", 200},
		{"leader being demoted /primary", leaderDemoting, "/primary", 503},
		{"leader being demoted /read-write", leaderDemoting, "/read-write", 503},
		{"replica /", replicaSnap, "/", 503},
		{"replica /replica", replicaSnap, "/replica", 200},
		{"replica /read-only", replicaSnap, "/read-only", 200},
		{"replica /health", replicaSnap, "/health", 200},
		{"replica /sync", replicaSnap, "/sync", 200},
		{"replica /synchronous", replicaSnap, "/synchronous", 200},
		{"replica /async", replicaSnap, "/async", 503},
		{"replica /read-only-sync", replicaSnap, "/read-only-sync", 200},
		{"replica /read-only-synchronous", replicaSnap, "/read-only-synchronous", 200},
		{"replica /quorum", replicaSnap, "/quorum", 503},
		{"quorum /quorum", quorum, "/quorum", 200},
		{"quorum /sync", quorum, "/sync", 503},
		{"quorum /async", quorum, "/async", 503},
		{"quorum /read-only-quorum", quorum, "/read-only-quorum", 200},
		{"async replica /async", asyncReplica, "/async", 200},
		{"async replica /asynchronous", asyncReplica, "/asynchronous", 200},
		{"async replica /sync", asyncReplica, "/sync", 503},
		{"async replica /read-only-sync", asyncReplica, "/read-only-sync", 503},
		{"stale view /sync", staleView, "/sync", 503},
		{"stale view /async", staleView, "/async", 503},
		{"stale view /replica", staleView, "/replica", 200},
		{"replica lag ok", replicaSnap, "/replica?lag=1MB", 200},
		{"replica lag bytes too small", replicaSnap, "/replica?lag=10", 503},
		{"replica lag 56 exact", replicaSnap, "/replica?lag=56", 200},
		{"replica lag unparsable = unlimited", replicaSnap, "/replica?lag=lots", 200},
		{"async lag honoured", asyncReplica, "/async?lag=10", 503},
		{"read-only lag honoured", replicaSnap, "/read-only?lag=1kB", 200},
		{"replica tag match", replicaSnap, "/replica?tag_dc=east", 200},
		{"replica tag mismatch", replicaSnap, "/replica?tag_dc=west", 503},
		{"replica tag missing", replicaSnap, "/replica?tag_rack=r1", 503},
		{"replica bool tag lowercased", replicaSnap, "/replica?tag_nofailover=false", 200},
		{"replica float tag", replicaSnap, "/replica?tag_priority=1.5", 200},
		{"replica blank tag ignored", replicaSnap, "/replica?tag_rack=", 200},
		{"health tag mismatch", replicaSnap, "/health?tag_dc=west", 503},
		{"replication_state match", replicaSnap, "/replica?replication_state=streaming", 200},
		{"replication_state mismatch", archive, "/replica?replication_state=streaming", 503},
		{"noloadbalance /replica", noLB, "/replica", 503},
		{"noloadbalance /health", noLB, "/health", 200},
		{"pg down /health", pgDown, "/health", 503},
		{"pg down /replica", pgDown, "/replica", 503},
		{"pg unreachable running → unknown", pgUnknown, "/health", 503},
		{"standby leader /standby-leader", standbyLeader, "/standby-leader", 200},
		{"standby leader /leader", standbyLeader, "/leader", 200},
		{"standby leader /primary", standbyLeader, "/primary", 503},
		{"standby leader /replica", standbyLeader, "/replica", 503},
		{"standby leader /read-only", standbyLeader, "/read-only", 200},
		{"paused no view /primary", pausedNoView, "/primary", 200},
		{"paused no view /leader", pausedNoView, "/leader", 200},
		{"paused no view /standby-leader", pausedNoView, "/standby-leader", 503},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, Config{}, c.snap())
			for _, m := range []string{"GET", "HEAD", "OPTIONS"} {
				w := h.do(m, c.path, "")
				if w.Code != c.want {
					t.Errorf("%s %s = %d, want %d", m, c.path, w.Code, c.want)
				}
				if m != "GET" && w.Body.Len() != 0 {
					t.Errorf("%s %s wrote a body", m, c.path)
				}
				if m == "GET" && w.Header().Get("Content-Type") != "application/json" {
					t.Errorf("GET %s content type %q", c.path, w.Header().Get("Content-Type"))
				}
			}
		})
	}
}

func TestLivenessReadiness(t *testing.T) {
	stuck := func(s *Snapshot) *Snapshot { s.NextRun = testNow.Add(-45 * time.Second); return s }
	cases := []struct {
		name string
		snap *Snapshot
		path string
		want int
	}{
		{"liveness ok", primarySnap(), "/liveness", 200},
		{"liveness primary stuck > ttl", stuck(primarySnap()), "/liveness", 503},
		{"liveness replica stuck < 2 ttl", stuck(replicaSnap()), "/liveness", 200},
		{"liveness paused", func() *Snapshot { s := stuck(primarySnap()); s.Paused = true; return s }(), "/liveness", 200},
		{"readiness leader", primarySnap(), "/readiness", 200},
		{"readiness streaming replica", replicaSnap(), "/readiness", 200},
		{"readiness lag over query", replicaSnap(), "/readiness?lag=10", 503},
		{"readiness mode=write", replicaSnap(), "/readiness?lag=10&mode=write", 200},
		{"readiness not streaming", func() *Snapshot { s := replicaSnap(); s.ReplicationState = ""; return s }(), "/readiness", 503},
		{"readiness pg stopped", func() *Snapshot { s := replicaSnap(); s.State = "stopped"; return s }(), "/readiness", 503},
		{"readiness no view", func() *Snapshot { s := replicaSnap(); s.View = nil; return s }(), "/readiness", 503},
		{"readiness no view failsafe", func() *Snapshot { s := replicaSnap(); s.View, s.FailsafeActive = nil, true; return s }(), "/readiness", 200},
	}
	for _, c := range cases {
		h := newHarness(t, Config{}, c.snap)
		w := h.do("GET", c.path, "")
		if w.Code != c.want || w.Body.Len() != 0 {
			t.Errorf("%s: GET %s = %d (body %q), want %d", c.name, c.path, w.Code, w.Body.String(), c.want)
		}
	}
}

func TestParseIntUnits(t *testing.T) {
	cases := map[string]int64{"10": 10, "1kB": 1024, "10MB": 10 << 20, "1 GB": 1 << 30, "1TB": 1 << 40, "0x10": 16, "010": 8, "1.5kB": 1536, "2B": 2}
	for in, want := range cases {
		if got, ok := parseInt(in, "B"); !ok || got != want {
			t.Errorf("parseInt(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "abc", "10XB", "08", "kB"} {
		if _, ok := parseInt(bad, "B"); ok {
			t.Errorf("parseInt(%q) accepted", bad)
		}
	}
	if got, ok := parseInt("2min", "s"); !ok || got != 120 {
		t.Errorf("2min = %d", got)
	}
	if _, ok := parseInt("10", "s"); !ok {
		t.Error("10 s rejected")
	}
	_ = http.StatusOK
}
