package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs"
)

// The API's Store must stay a subset of dcs.Store.
var _ Store = dcs.Store(nil)

var testNow = time.Date(2024, 6, 30, 10, 0, 0, 0, time.UTC)

type fakeNode struct {
	mu           sync.Mutex
	calls        []string
	restartOK    bool
	restartMsg   string
	restartErr   error
	scheduleOK   bool
	cancelOK     bool
	reinitRefuse string
	failsafeErr  error
	lastRestart  RestartRequest
	lastFailsafe FailsafeRequest
	lastReinit   [2]bool
}

func (n *fakeNode) record(c string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = append(n.calls, c)
}

func (n *fakeNode) Restart(_ context.Context, r RestartRequest) (bool, string, error) {
	n.record("restart")
	n.lastRestart = r
	return n.restartOK, n.restartMsg, n.restartErr
}
func (n *fakeNode) ScheduleRestart(r RestartRequest) bool {
	n.record("schedule")
	n.lastRestart = r
	return n.scheduleOK
}
func (n *fakeNode) CancelScheduledRestart() bool { n.record("cancel"); return n.cancelOK }
func (n *fakeNode) Reload()                      { n.record("reload") }
func (n *fakeNode) Reinitialize(force, fromLeader bool) string {
	n.record("reinit")
	n.lastReinit = [2]bool{force, fromLeader}
	return n.reinitRefuse
}
func (n *fakeNode) Shutdown() { n.record("shutdown") }
func (n *fakeNode) ReceiveFailsafe(r FailsafeRequest) (int64, bool, error) {
	n.record("failsafe")
	n.lastFailsafe = r
	return 4242, n.failsafeErr == nil, n.failsafeErr
}
func (n *fakeNode) Wake() { n.record("wake") }

func (n *fakeNode) called() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.calls...)
}

// fakeStore serves views in turn (the last one repeats) and records writes.
type fakeStore struct {
	mu        sync.Mutex
	views     []*cluster.View
	loadErr   error
	setOK     bool
	writes    []string
	versions  []int64
	failovers []cluster.Failover
}

func (s *fakeStore) Load(context.Context) (*cluster.View, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loadErr != nil {
		return nil, s.loadErr
	}
	v := s.views[0]
	if len(s.views) > 1 {
		s.views = s.views[1:]
	}
	return v, nil
}

func (s *fakeStore) SetConfig(_ context.Context, value []byte, version int64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, string(value))
	s.versions = append(s.versions, version)
	return s.setOK, nil
}

func (s *fakeStore) SetFailover(_ context.Context, f cluster.Failover, version int64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failovers = append(s.failovers, f)
	s.versions = append(s.versions, version)
	return s.setOK, nil
}

func (s *fakeStore) nwrites() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.writes) + len(s.failovers)
}

type fakePeers struct{ healthy bool }

func (p fakePeers) AnyHealthy(context.Context, []cluster.Member) bool { return p.healthy }

var errBoom = errors.New("boom")

func i64(v int64) *int64 { return &v }

// testView: node1 leader (primary), node2 replica, node3 replica without xlog.
func testView(configJSON string) *cluster.View {
	kvs := []cluster.KeyValue{
		{Key: "leader", Value: []byte("node1"), Version: 3},
		{Key: "status", Value: []byte(`{"optime":67395656}`)},
		{Key: "members/node1", Value: []byte(`{"conn_url":"postgres://10.0.0.1:5432/postgres","api_url":"http://127.0.0.1:8008/patroni","state":"running","role":"primary","version":"4.1.4","xlog_location":67395656,"timeline":1}`)},
		{Key: "members/node2", Value: []byte(`{"conn_url":"postgres://10.0.0.2:5432/postgres","api_url":"http://127.0.0.2:8008/patroni","state":"running","role":"replica","version":"4.1.4","xlog_location":67395600,"receive_lsn":67395656,"replay_lsn":67395600,"replication_state":"streaming","timeline":1,"tags":{"dc":"east"}}`)},
		{Key: "members/node3", Value: []byte(`{"conn_url":"postgres://10.0.0.3:5432/postgres","api_url":"http://127.0.0.3:8008/patroni","state":"stopped","role":"replica","version":"4.1.4"}`)},
		{Key: "sync", Value: []byte(`{"leader":"node1","sync_standby":"node2"}`), Version: 7},
		{Key: "history", Value: []byte(`[[1,25165984,"no recovery target specified","2024-06-30T09:00:00+00:00","node1"]]`)},
		{Key: "failsafe", Value: []byte(`{"node1":"http://127.0.0.1:8008/patroni","node2":"http://127.0.0.2:8008/patroni"}`)},
	}
	if configJSON != "" {
		kvs = append(kvs, cluster.KeyValue{Key: "config", Value: []byte(configJSON), Version: 11, ModifyVersion: 11})
	}
	return cluster.Parse(kvs)
}

const baseConfig = `{"ttl":30,"loop_wait":10,"postgresql":{"parameters":{"max_connections":100,"wal_level":"replica"}},"failsafe_mode":true}`

func primarySnap() *Snapshot {
	return &Snapshot{
		Scope: "demo", Name: "node1", Version: "4.1.4",
		State: "running", Role: cluster.RolePrimary, Queried: true,
		PostmasterStartTime: time.Date(2024, 6, 30, 9, 0, 0, 966359000, time.UTC),
		ServerVersion:       150004, XLogLocation: 67395656, Timeline: 1,
		Replication: []ReplicationRow{{Usename: "replicator", ApplicationName: "node2", ClientAddr: "10.0.0.2", State: "streaming", SyncState: "async"}},
		DCSLastSeen: testNow.Add(-time.Second), Tags: map[string]any{"clonefrom": true},
		SystemID:    "7268616322854375442",
		LeaderUntil: testNow.Add(20 * time.Second), NextRun: testNow.Add(5 * time.Second),
		FailsafeMode: true, MaximumLagOnFailover: 1 << 20, TTL: 30 * time.Second, LoopWait: 10 * time.Second,
		View: testView(baseConfig), ViewTime: testNow.Add(-2 * time.Second),
	}
}

func replicaSnap() *Snapshot {
	ts := time.Date(2024, 6, 30, 9, 59, 59, 0, time.UTC)
	s := primarySnap()
	s.Name, s.Role, s.InRecovery = "node2", cluster.RoleReplica, true
	s.XLogLocation, s.ReceivedLocation, s.ReplayedLocation = 0, 67395656, 67395600
	s.ReplayedTimestamp = &ts
	s.ReplicationState = "streaming"
	s.Replication = nil
	s.Tags = map[string]any{"dc": "east", "nofailover": false, "priority": 1.5}
	s.LeaderUntil = time.Time{}
	s.SynchronousMode = true
	return s
}

type harness struct {
	srv   *Server
	pub   *Publisher
	node  *fakeNode
	store *fakeStore
}

func newHarness(t testing.TB, cfg Config, snap *Snapshot) *harness {
	t.Helper()
	h := &harness{pub: &Publisher{}, node: &fakeNode{restartOK: true, restartMsg: "restarted successfully", scheduleOK: true, cancelOK: true},
		store: &fakeStore{setOK: true, views: []*cluster.View{snap.View}}}
	h.pub.Publish(snap)
	srv, err := New(cfg, Options{Publisher: h.pub, Node: h.node, Store: h.store, Peers: fakePeers{healthy: true},
		Now: func() time.Time { return testNow }, PollInterval: time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	return h
}

// do sends one request through the handler; body "" sends none (no Content-Length).
func (h *harness) do(method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	return h.send(method, target, body, body == "", hdr...)
}

// doRaw sends body, with a Content-Length header unless noLength.
func (h *harness) doRaw(method, target, body string, noLength bool) *httptest.ResponseRecorder {
	return h.send(method, target, body, noLength)
}

func (h *harness) send(method, target, body string, noLength bool, hdr ...string) *httptest.ResponseRecorder {
	var req *http.Request
	if noLength {
		req = httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Del("Content-Length")
	} else {
		req = httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Content-Length", itoa(len(body)))
	}
	req.RemoteAddr = "127.0.0.1:40000"
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.srv.Handler().ServeHTTP(w, req)
	return w
}

func itoa(n int) string { return strconv.Itoa(n) }

// refreshingNode publishes a newer snapshot when asked to refresh.
type refreshingNode struct {
	*fakeNode
	pub  *Publisher
	next *Snapshot
}

func (n *refreshingNode) Refresh(context.Context) { n.pub.Publish(n.next) }
