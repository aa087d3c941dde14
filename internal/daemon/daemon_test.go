package daemon

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patroni-go/patroni/internal/config"
)

const testConfig = `scope: batman
name: node1
restapi: {listen: 127.0.0.1:8008, connect_address: 127.0.0.1:8008}
etcd3: {hosts: 127.0.0.1:2379}
bootstrap:
  dcs: {ttl: 30, loop_wait: 10, postgresql: {parameters: {work_mem: 8MB}}}
  initdb: [{encoding: UTF8}, data-checksums]
postgresql:
  listen: 127.0.0.1:5432
  connect_address: 127.0.0.1:5432
  data_dir: /tmp/none/data
  authentication:
    superuser: {username: postgres, password: secret}
    replication: {username: replicator, password: rep}
tags: {nofailover: true, failover_priority: 1}
`

// A reload must apply the PATRONI_* variables read at startup again, although they were
// removed from the process environment meanwhile.
func TestReloadKeepsEnvironmentSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.yml")
	if err := os.WriteFile(path, []byte(testConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	environ := []string{"PATRONI_RESTAPI_USERNAME=admin", "PATRONI_RESTAPI_PASSWORD=pw"}
	cfg, err := config.Load(path, environ)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	m, err := newConfigManager(path, environ, cfg, newLogger(&logs, "INFO"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(testConfig+"watchdog: {mode: off}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ReloadLocal(); err != nil {
		t.Fatal(err)
	}
	if a := m.local.RestAPI.Authentication; a == nil || a.Username != "admin" || a.Password != "pw" {
		t.Errorf("the reloaded configuration lost PATRONI_RESTAPI_*: %+v", a)
	}
	if !strings.Contains(logs.String(), "WARNING: Conflicting configuration between nofailover") {
		t.Errorf("a reload must log the conflicting tags warning:\n%s", logs.String())
	}
}

func TestSettingsAndPGOptionsFromConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.yml")
	if err := os.WriteFile(path, []byte(testConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := newConfigManager(path, nil, cfg, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := m.Apply(nil)
	if s.TTL.Seconds() != 30 || s.LoopWait.Seconds() != 10 || !s.Tags.NoFailover || !s.HasBootstrapSection {
		t.Errorf("settings from bootstrap.dcs and tags: %+v", s)
	}
	o := m.pgOpts
	if o.Parameters["work_mem"] != "8MB" || o.Superuser.Password != "secret" || o.Replication.Username != "replicator" || o.DataDir != "/tmp/none/data" {
		t.Errorf("pg options: %+v", o)
	}
	st := m.Member()
	if st.APIURL != "http://127.0.0.1:8008/patroni" || st.ConnURL != "postgres://127.0.0.1:5432/postgres" {
		t.Errorf("member key: %+v", st)
	}
}

func TestCriticalLevelName(t *testing.T) {
	var b bytes.Buffer
	newLogger(&b, "INFO").Log(t.Context(), levelCritical, "Can't start")
	if !strings.Contains(b.String(), " CRITICAL: Can't start") {
		t.Errorf("got %q", b.String())
	}
}

// A standby cluster defined by restore_command alone still has a remote member to follow
// (from the archive); without host, port or restore_command there is none.
func TestRemoteUpstreamOfAStandbyCluster(t *testing.T) {
	m := &configManager{log: slog.Default()}
	m.dynamic = config.ParseDynamic(map[string]any{"standby_cluster": map[string]any{"restore_command": "cp /a/%f %p"}})
	up := m.RemoteUpstream()
	if up == nil || !up.Remote || up.RestoreCommand != "cp /a/%f %p" || len(up.Conn) != 0 {
		t.Fatalf("restore_command-only standby cluster: %+v", up)
	}
	m.dynamic = config.ParseDynamic(map[string]any{"standby_cluster": map[string]any{"host": "10.0.0.1", "port": 5433, "primary_slot_name": "s1"}})
	up = m.RemoteUpstream()
	if up == nil || up.Conn["host"] != "10.0.0.1" || up.Conn["port"] != "5433" || up.PrimarySlotName != "s1" {
		t.Fatalf("host/port standby cluster: %+v", up)
	}
	m.dynamic = config.ParseDynamic(map[string]any{})
	if up := m.RemoteUpstream(); up != nil {
		t.Fatalf("not a standby cluster: %+v", up)
	}
}
