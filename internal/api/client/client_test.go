package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestEndpointURL(t *testing.T) {
	cases := []struct{ api, ep, want string }{
		{"http://10.0.0.1:8008/patroni", "failsafe", "http://10.0.0.1:8008/failsafe"},
		{"https://h:8008/patroni?x=1", "/restart", "https://h:8008/restart"},
		{"http://h:8008/patroni", "", "http://h:8008/patroni"},
		{"http://[::1]:8008/patroni", "config", "http://[::1]:8008/config"},
	}
	for _, c := range cases {
		got, err := EndpointURL(c.api, c.ep)
		if err != nil || got != c.want {
			t.Errorf("EndpointURL(%q,%q) = %q, %v; want %q", c.api, c.ep, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "not a url", "h:8008"} {
		if _, err := EndpointURL(bad, "x"); err == nil {
			t.Errorf("EndpointURL(%q) accepted", bad)
		}
	}
}

func TestParseNodeStatusGenerations(t *testing.T) {
	cases := []struct {
		name       string
		body       string
		reachable  bool
		inRecovery bool
		pos        int64
	}{
		{"3.x primary", `{"state": "running", "role": "master", "xlog": {"location": 100}, "timeline": 2}`, true, false, 0},
		{"4.x primary zero lsn", `{"state": "running", "role": "primary", "xlog": {"location": 0}}`, true, false, 0},
		{"replica", `{"state": "running", "role": "replica", "xlog": {"received_location": 50, "replayed_location": 70, "replayed_timestamp": null, "paused": false}}`, true, true, 70},
		{"wal key", `{"role": "replica", "wal": {"received_location": 90, "replayed_location": 10}}`, true, true, 90},
		{"pg down", `{"state": "stopped", "role": "replica", "dcs_last_seen": 1}`, false, true, 0},
	}
	for _, c := range cases {
		s, err := ParseNodeStatus([]byte(c.body))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if s.Reachable() != c.reachable || s.InRecovery() != c.inRecovery || s.WALPosition() != c.pos {
			t.Errorf("%s: reachable=%v inRecovery=%v pos=%d", c.name, s.Reachable(), s.InRecovery(), s.WALPosition())
		}
	}
	if _, err := ParseNodeStatus([]byte(`[1]`)); err == nil {
		t.Error("array accepted as status")
	}
	s, _ := ParseNodeStatus([]byte(`{"tags": {"nofailover": true}, "patroni": {"version": "3.3.1", "scope": "s", "name": "n"}, "watchdog_failed": true}`))
	if !s.NoFailover() || !s.WatchdogFailed || s.Patroni.Name != "n" {
		t.Errorf("tags/patroni/watchdog not read: %+v", s)
	}
}

func TestClientSendsAuthAndBodies(t *testing.T) {
	type seen struct {
		method, path, auth, ua string
		body                   map[string]any
		length                 int64
	}
	var got seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		got = seen{method: r.Method, path: r.URL.Path, auth: r.Header.Get("Authorization"), ua: r.UserAgent(), length: r.ContentLength}
		got.body = nil
		_ = json.Unmarshal(data, &got.body)
		w.Header().Set("lsn", "1234")
		w.WriteHeader(200)
		_, _ = w.Write([]byte("Accepted"))
	}))
	defer srv.Close()
	c, err := New(Options{Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	api := srv.URL + "/patroni"
	res, err := c.PostFailsafe(ctx, api, FailsafeRequest{Name: "n1", ConnURL: "postgres://x", APIURL: api, Slots: map[string]int64{"s": 5}})
	if err != nil || !res.Accepted || !res.HasLSN || res.LSN != 1234 {
		t.Fatalf("PostFailsafe = %+v, %v", res, err)
	}
	if got.auth != "Basic dTpw" || got.path != "/failsafe" || got.body["name"] != "n1" {
		t.Errorf("request seen = %+v", got)
	}
	if _, err := c.Switchover(ctx, api, SwitchoverRequest{Leader: "a"}); err != nil {
		t.Fatal(err)
	}
	if v, ok := got.body["candidate"]; !ok || v != nil || got.body["leader"] != "a" || got.path != "/switchover" {
		t.Errorf("switchover body = %v", got.body)
	}
	if _, err := c.Restart(ctx, api, RestartRequest{RestartPending: true, Role: "replica"}); err != nil {
		t.Fatal(err)
	}
	if got.body["restart_pending"] != true || got.body["role"] != "replica" || len(got.body) != 2 {
		t.Errorf("restart body = %v", got.body)
	}
	if _, err := c.CancelRestart(ctx, api); err != nil || got.method != "DELETE" || got.length != 0 {
		t.Errorf("DELETE /restart seen as %+v, %v", got, err)
	}
	if _, err := c.PatchConfig(ctx, api, map[string]any{"pause": nil}); err != nil {
		t.Fatal(err)
	}
	if v, ok := got.body["pause"]; !ok || v != nil || got.method != "PATCH" {
		t.Errorf("PATCH body = %v", got.body)
	}
}

func FuzzParseNodeStatus(f *testing.F) {
	for _, s := range []string{
		`{"state": "running", "role": "master", "xlog": {"location": 100}}`,
		`{"role": "replica", "wal": {"received_location": "9", "replayed_location": 1e3}}`,
		`{"xlog": [], "tags": "x", "replication": [1, {"sync_priority": "a"}]}`,
		`null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseNodeStatus(data)
		if err != nil {
			return
		}
		_ = s.WALPosition()
		_ = s.NoFailover()
	})
}
