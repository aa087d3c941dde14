package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/patroni-go/patroni/internal/api/client"
	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs"
)

// fakeStore is a cluster's keys in memory; writes compare versions like a
// real backend.
type fakeStore struct {
	mu      sync.Mutex
	keys    map[string]string
	version map[string]int64
	rev     int64
	loads   int
	// onLoad, if set, runs before each Load (to change state over time).
	onLoad   func(f *fakeStore, n int)
	failLoad error
}

func newFakeStore(keys map[string]string) *fakeStore {
	f := &fakeStore{keys: map[string]string{}, version: map[string]int64{}}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		f.put(k, keys[k])
	}
	return f
}

// loadFixture reads testdata/clusters/<name>.json; a missing file is an
// empty cluster.
func loadFixture(name string) (map[string]string, error) {
	raw, err := os.ReadFile(filepath.Join("testdata", "clusters", name+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	var doc struct {
		Keys map[string]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range doc.Keys {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
			continue
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			return nil, err
		}
		out[k] = buf.String()
	}
	return out, nil
}

func (f *fakeStore) put(k, v string) {
	f.rev++
	f.keys[k] = v
	f.version[k] = f.rev
}

func (f *fakeStore) Load(context.Context) (*cluster.View, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failLoad != nil {
		return nil, f.failLoad
	}
	if f.onLoad != nil {
		f.onLoad(f, f.loads)
	}
	f.loads++
	kvs := make([]cluster.KeyValue, 0, len(f.keys))
	for k, v := range f.keys {
		kvs = append(kvs, cluster.KeyValue{Key: k, Value: []byte(v), Version: f.version[k], ModifyVersion: f.version[k]})
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].Key < kvs[j].Key })
	return cluster.Parse(kvs), nil
}

func (f *fakeStore) SetConfig(_ context.Context, value []byte, version int64) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if version != dcs.NoVersion && f.version["config"] != version {
		return false, nil
	}
	f.put("config", string(value))
	return true, nil
}

func (f *fakeStore) SetFailover(_ context.Context, fo cluster.Failover, version int64) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if version != dcs.NoVersion && f.version["failover"] != version {
		return false, nil
	}
	raw, err := fo.Encode()
	if err != nil {
		return false, err
	}
	f.put("failover", string(raw))
	return true, nil
}

func (f *fakeStore) DeleteCluster(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys, f.version = map[string]string{}, map[string]int64{}
	return nil
}

func (f *fakeStore) snapshot() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]string, len(f.keys))
	for k, v := range f.keys {
		out[k] = v
	}
	return out
}

var errNotUsed = errors.New("not used by patronictl")

func (f *fakeStore) AttemptToAcquireLeader(context.Context) (bool, error) { return false, errNotUsed }
func (f *fakeStore) UpdateLeader(context.Context, *cluster.Leader) (bool, error) {
	return false, errNotUsed
}
func (f *fakeStore) TakeLeader(context.Context) (bool, error)            { return false, errNotUsed }
func (f *fakeStore) DeleteLeader(context.Context, *cluster.Leader) error { return errNotUsed }
func (f *fakeStore) TouchMember(context.Context, cluster.MemberData) (bool, error) {
	return false, errNotUsed
}
func (f *fakeStore) Initialize(context.Context, bool, string) (bool, error) { return false, errNotUsed }
func (f *fakeStore) CancelInitialization(context.Context) error             { return errNotUsed }
func (f *fakeStore) SetSync(context.Context, cluster.SyncState, int64) (int64, bool, error) {
	return 0, false, errNotUsed
}
func (f *fakeStore) DeleteSync(context.Context, int64) (bool, error)   { return false, errNotUsed }
func (f *fakeStore) SetHistory(context.Context, cluster.History) error { return errNotUsed }
func (f *fakeStore) WriteStatus(context.Context, cluster.Status) error { return errNotUsed }
func (f *fakeStore) WriteFailsafe(context.Context, cluster.Failsafe) error {
	return errNotUsed
}
func (f *fakeStore) Watch(context.Context, int64, time.Duration) bool { return false }
func (f *fakeStore) Wake()                                            {}
func (f *fakeStore) SetTiming(dcs.Timing)                             {}
func (f *fakeStore) Close() error                                     { return nil }

// fakeAPI answers from a table keyed by port and "METHOD /path"; a port
// without entries refuses the connection.
type fakeAPI struct {
	mu      sync.Mutex
	answers map[string]map[string]client.Response
	calls   []string // "METHOD host:port/path body"
}

func newFakeAPI() *fakeAPI { return &fakeAPI{answers: map[string]map[string]client.Response{}} }

func (a *fakeAPI) answer(port int, method, path string, status int, body string) {
	p := fmt.Sprint(port)
	if a.answers[p] == nil {
		a.answers[p] = map[string]client.Response{}
	}
	a.answers[p][method+" "+path] = client.Response{StatusCode: status, Body: []byte(body)}
}

func (a *fakeAPI) do(method, apiURL, endpoint string, body any) (*client.Response, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	target, err := client.EndpointURL(apiURL, endpoint)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(target)
	raw := ""
	if body != nil {
		b, _ := json.Marshal(body)
		raw = string(b)
	}
	a.calls = append(a.calls, strings.TrimSpace(fmt.Sprintf("%s %s%s %s", method, u.Host, u.Path, raw)))
	table, ok := a.answers[u.Port()]
	if !ok {
		return nil, fmt.Errorf("%s %s: connection refused", method, target)
	}
	r, ok := table[method+" "+u.Path]
	if !ok {
		return &client.Response{StatusCode: 500, Body: []byte("no stub")}, nil
	}
	return &r, nil
}

func (a *fakeAPI) Switchover(_ context.Context, u string, r client.SwitchoverRequest) (*client.Response, error) {
	return a.do("POST", u, "switchover", r)
}
func (a *fakeAPI) Failover(_ context.Context, u string, r client.SwitchoverRequest) (*client.Response, error) {
	return a.do("POST", u, "failover", r)
}
func (a *fakeAPI) CancelSwitchover(_ context.Context, u string) (*client.Response, error) {
	return a.do("DELETE", u, "switchover", nil)
}
func (a *fakeAPI) Restart(_ context.Context, u string, r client.RestartRequest) (*client.Response, error) {
	return a.do("POST", u, "restart", r)
}
func (a *fakeAPI) CancelRestart(_ context.Context, u string) (*client.Response, error) {
	return a.do("DELETE", u, "restart", nil)
}
func (a *fakeAPI) Reload(_ context.Context, u string) (*client.Response, error) {
	return a.do("POST", u, "reload", nil)
}
func (a *fakeAPI) Reinitialize(_ context.Context, u string, force, fromLeader bool) (*client.Response, error) {
	return a.do("POST", u, "reinitialize", map[string]any{"force": force, "from_leader": fromLeader})
}
func (a *fakeAPI) PatchConfig(_ context.Context, u string, patch map[string]any) (*client.Response, error) {
	return a.do("PATCH", u, "config", patch)
}
func (a *fakeAPI) Get(_ context.Context, u, endpoint string) (*client.Response, error) {
	if endpoint == "" {
		endpoint = "patroni"
	}
	return a.do("GET", u, endpoint, nil)
}
