package ctl

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func run(t *testing.T, stdin string, api *fakeAPI, stores map[string]*fakeStore, args ...string) (string, string, int) {
	t.Helper()
	env, out, errb := testEnv(t, stdin, api, stores)
	code := Main(context.Background(), args, env)
	return out.String(), errb.String(), code
}

func TestRequestBodies(t *testing.T) {
	api := newFakeAPI()
	api.answer(18008, "POST", "/switchover", 202, "Switchover scheduled")
	api.answer(18010, "POST", "/restart", 202, "Restart scheduled")
	stores := map[string]*fakeStore{}
	_, stderr, code := run(t, "", api, stores, "switchover", "healthy", "--candidate", "postgresql1",
		"--scheduled", "2030-01-01T12:00:00+02:00", "--force")
	if code != 0 {
		t.Fatalf("switchover: %d %s", code, stderr)
	}
	_, stderr, code = run(t, "", api, stores, "restart", "healthy", "postgresql2", "--pending",
		"--scheduled", "2030-01-01 10:00", "--pg-version", "15.5", "--timeout", "60s", "--force")
	if code != 0 {
		t.Fatalf("restart: %d %s", code, stderr)
	}
	want := []string{
		`POST 127.0.0.1:18008/switchover {"candidate":"postgresql1","leader":"postgresql0","scheduled_at":"2030-01-01T12:00:00+02:00"}`,
		`POST 127.0.0.1:18010/restart {"postgres_version":"15.5","restart_pending":true,"schedule":"2030-01-01T10:00:00+00:00","timeout":"60s"}`,
	}
	if !reflect.DeepEqual(api.calls, want) {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(api.calls, "\n"), strings.Join(want, "\n"))
	}
}

func TestPauseWait(t *testing.T) {
	api := newFakeAPI()
	api.answer(18008, "PATCH", "/config", 200, "{}")
	keys, _ := loadFixture("healthy")
	st := newFakeStore(keys)
	// The members report pause from the second read on.
	st.onLoad = func(f *fakeStore, n int) {
		if n == 1 {
			for _, m := range []string{"postgresql0", "postgresql1", "postgresql2"} {
				v := f.keys["members/"+m]
				f.put("members/"+m, strings.TrimSuffix(v, "}")+`,"pause":true}`)
			}
		}
	}
	out, stderr, code := run(t, "", api, map[string]*fakeStore{"healthy": st}, "pause", "healthy", "--wait")
	want := "'pause' request sent, waiting until it is recognized by all nodes\nSuccess: cluster management is paused\n"
	if code != 0 || out != want {
		t.Fatalf("code %d out %q err %q", code, out, stderr)
	}
	if want := []string{`PATCH 127.0.0.1:18008/config {"pause":true}`}; !reflect.DeepEqual(api.calls, want) {
		t.Fatalf("calls %v", api.calls)
	}
}

func TestPauseWaitTimesOut(t *testing.T) {
	api := newFakeAPI()
	api.answer(18008, "PATCH", "/config", 200, "{}")
	keys, _ := loadFixture("healthy")
	st := newFakeStore(keys)
	st.onLoad = func(f *fakeStore, n int) { // postgresql2's key changes but without pause
		f.put("members/postgresql2", f.keys["members/postgresql2"])
	}
	out, _, code := run(t, "", api, map[string]*fakeStore{"healthy": st}, "pause", "healthy", "--wait")
	if code != 0 || !strings.Contains(out, "\npostgresql2 members didn't recognized pause state after 10 seconds") {
		t.Fatalf("code %d out %q", code, out)
	}
}

func TestReinitWait(t *testing.T) {
	api := newFakeAPI()
	api.answer(18009, "POST", "/reinitialize", 200, "reinitialize started")
	api.answer(18009, "GET", "/patroni", 200, `{"state": "running"}`)
	out, stderr, code := run(t, "", api, map[string]*fakeStore{}, "reinit", "healthy", "postgresql1", "--force", "--wait", "--from-leader")
	if code != 0 || !strings.HasSuffix(out, "Success: reinitialize for member postgresql1\n"+
		"Waiting for reinitialize to complete on: postgresql1\nReinitialize is completed on: postgresql1\n") {
		t.Fatalf("code %d out %q err %q", code, out, stderr)
	}
	if api.calls[0] != `POST 127.0.0.1:18009/reinitialize {"force":true,"from_leader":true}` {
		t.Fatalf("calls %v", api.calls)
	}
}

func TestDemoteCluster(t *testing.T) {
	api := newFakeAPI()
	api.answer(18008, "PATCH", "/config", 200, "{}")
	keys, _ := loadFixture("healthy")
	st := newFakeStore(keys)
	st.onLoad = func(f *fakeStore, n int) {
		if n == 2 {
			f.put("members/postgresql0", strings.Replace(f.keys["members/postgresql0"], `"primary"`, `"standby_leader"`, 1))
		}
	}
	out, stderr, code := run(t, "y\n", api, map[string]*fakeStore{"healthy": st}, "demote-cluster", "healthy", "--host", "10.0.0.9", "--port", "5433")
	if code != 0 {
		t.Fatalf("code %d err %q", code, stderr)
	}
	for _, want := range []string{"Are you sure you want to demote healthy cluster? [y/N]: ",
		"2026-01-07 10:20:30 cluster is unlocked: False, leader role: primary, leader state: running\n",
		"2026-01-07 10:20:31 cluster is successfully demoted\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if api.calls[0] != `PATCH 127.0.0.1:18008/config {"standby_cluster":{"host":"10.0.0.9","port":5433}}` {
		t.Fatalf("calls %v", api.calls)
	}
}

func TestEditConfigEditor(t *testing.T) {
	api := newFakeAPI()
	stores := map[string]*fakeStore{}
	env, out, errb := testEnv(t, "", api, stores)
	env.Environ = []string{"EDITOR=myeditor"}
	env.Run = func(_ context.Context, _ io.Reader, name string, args ...string) (int, error) {
		if name != "myeditor" || !strings.HasPrefix(filepath.Base(args[0]), "healthy-config-") {
			t.Errorf("editor call %s %v", name, args)
		}
		raw, _ := os.ReadFile(args[0])
		return 0, os.WriteFile(args[0], []byte(strings.Replace(string(raw), "ttl: 30", "ttl: 31", 1)), 0o600)
	}
	code := Main(context.Background(), []string{"edit-config", "healthy", "--force"}, env)
	if code != 0 || !strings.Contains(out.String(), "-ttl: 30\n+ttl: 31\nConfiguration changed\n") {
		t.Fatalf("code %d out %q err %q", code, out, errb)
	}
	if got := stores["healthy"].snapshot()["config"]; !strings.Contains(got, `"ttl":31`) {
		t.Fatalf("config %s", got)
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "patroni.yml")
	os.WriteFile(path, []byte("scope: healthy\nnamespace: /service\netcd3:\n  host: 127.0.0.1:2379\n"), 0o600)
	env, out, _ := testEnv(t, "", newFakeAPI(), map[string]*fakeStore{})
	env.Environ = []string{"PATRONICTL_CONFIG_FILE=" + path}
	if code := Main(context.Background(), []string{"dsn"}, env); code != 0 || out.String() != "host=127.0.0.1 port=5432\n" {
		t.Fatalf("code %d out %q", code, out)
	}
	cfg, err := LoadConfig(path, "/default", "zookeeper://zk1:2182/ns", nil)
	if err != nil || cfg.Raw["etcd3"] != nil || cfg.Raw["zookeeper"] == nil || cfg.Namespace != "/ns" {
		t.Fatalf("dcs url override: %v %v", err, cfg.Raw)
	}
}

func TestParseDCSURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "map[etcd:map[host:localhost:2379]]",
		"etcd3://10.0.0.1":        "map[etcd3:map[host:10.0.0.1:2379]]",
		"127.0.0.1:8500":          "map[consul:map[host:127.0.0.1:8500]]",
		"etcd3://h:2399/customns": "map[etcd3:map[host:h:2399] namespace:/customns]",
		"zookeeper://z":           "map[zookeeper:map[hosts:[z:2181]]]",
	} {
		got, err := ParseDCSURL(in)
		if err != nil || fmtMap(got) != want {
			t.Errorf("%q: %v %v want %s", in, fmtMap(got), err, want)
		}
	}
	if _, err := ParseDCSURL("redis://x"); err == nil || err.Error() != "Unknown dcs scheme: redis" {
		t.Errorf("unknown scheme: %v", err)
	}
}

func fmtMap(m map[string]any) string {
	return strings.ReplaceAll(strings.TrimSpace(sprint(m)), "  ", " ")
}

func sprint(v any) string { return fmt.Sprint(v) }
