package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const effLocal = `
scope: batman
name: n1
ttl: 99
loop_wait: 99
synchronous_mode: true
restapi: {listen: 127.0.0.1:8008, connect_address: 127.0.0.1:8008, authentication: {username: u, password: p}}
zookeeper: {hosts: [a], exhibitor: {hosts: [e], port: 8181}}
citus: {group: 1, database: citus}
watchdog: {mode: off}
standby_cluster: {host: local}
tags:
postgresql:
  listen: 127.0.0.1:5432
  data_dir: /data
  use_slots: false
  use_pg_rewind: false
  pg_hba: [local]
  parameters: {max_connections: 500, Shared_Buffers: 1GB, wal_level: logical, work_mem: 4MB}
  authentication:
    superuser: {username: postgres, password: x, sslmode: require, junk: 1}
`

const effDynamic = `{"ttl": 20, "loop_wait": "15", "retry_timeout": 10, "maximum_lag_on_failover": 5,
 "standby_cluster": {"host": "remote", "port": 5433, "foo": 1}, "watchdog": {"mode": "required"},
 "postgresql": {"use_slots": false, "use_pg_rewind": true, "pg_hba": ["dcs"], "listen": "evil", "data_dir": "/evil",
  "parameters": {"max_connections": "200", "shared_buffers": "2GB", "wal_level": "minimal", "hot_standby": "off",
   "max_wal_senders": 2, "port": 1, "track_commit_timestamp": "on", "MAX_LOCKS_PER_TRANSACTION": "128",
   "wal_keep_size": "1GB"}}}`

// effWant is Patroni 4.1.4's effective configuration for effLocal + effDynamic
// (CMDLINE parameter names are kept lower-case here).
const effWant = `{"bootstrap": {"dcs": {"synchronous_mode": "quorum"}}, "citus": {"database": "citus", "group": 1}, "exhibitor": {"hosts": ["e"], "port": 8181}, "loop_wait": 1, "name": "n1", "postgresql": {"authentication": {"superuser": {"password": "x", "sslmode": "require", "username": "postgres"}}, "citus": {"database": "citus", "group": 1}, "data_dir": "/data", "listen": "127.0.0.1:5432", "name": "n1", "parameters": {"max_locks_per_transaction": 128, "Shared_Buffers": "1GB", "hot_standby": "on", "max_connections": 200, "max_prepared_transactions": 0, "max_replication_slots": 10, "max_wal_senders": 10, "max_worker_processes": 8, "track_commit_timestamp": "on", "wal_keep_size": "1GB", "wal_level": "hot_standby", "wal_log_hints": "on", "work_mem": "4MB"}, "pg_hba": ["local"], "retry_timeout": 9, "scope": "batman", "use_pg_rewind": false, "use_slots": false}, "restapi": {"auth": "u:p", "authentication": {"password": "p", "username": "u"}, "connect_address": "127.0.0.1:8008", "listen": "127.0.0.1:8008"}, "retry_timeout": 9, "scope": "batman", "standby_cluster": {"archive_cleanup_command": "", "create_replica_methods": "", "host": "remote", "port": 5433, "primary_slot_name": "", "recovery_min_apply_delay": "", "restore_command": ""}, "synchronous_mode": true, "tags": {}, "ttl": 20, "watchdog": {"mode": false}}`

func TestBuildEffectiveMatchesPatroni(t *testing.T) {
	local, err := ParseYAMLMap([]byte(effLocal))
	must(t, err)
	dyn, err := DecodeJSONMap([]byte(effDynamic))
	must(t, err)
	e, err := BuildEffective(dyn, local)
	must(t, err)
	var want any
	must(t, json.Unmarshal([]byte(effWant), &want))
	if got := jsonNorm(t, e.Raw); !reflect.DeepEqual(got, want) {
		b, _ := json.Marshal(got)
		t.Fatalf("got  %s\nwant %s", b, effWant)
	}
	wantWarnings := []string{
		`Violated the rule "loop_wait + 2*retry_timeout <= ttl", where ttl=20. Adjusting loop_wait from 15 to 1 and retry_timeout from 10 to 9`,
		"postgresql parameter hot_standby=off failed validation, defaulting to on",
		"postgresql parameter max_wal_senders=2 failed validation, defaulting to 10",
		"postgresql parameter port=1 failed validation, defaulting to None",
		"postgresql parameter wal_level=minimal failed validation, defaulting to hot_standby",
	}
	if !reflect.DeepEqual(e.Warnings, wantWarnings) {
		t.Fatalf("warnings = %q", e.Warnings)
	}
	if e.TTL != 20 || e.LoopWait != 1 || e.RetryTimeout != 9 {
		t.Fatalf("timing = %d %d %d", e.TTL, e.LoopWait, e.RetryTimeout)
	}
	if dyn["loop_wait"] != "15" {
		t.Fatal("BuildEffective modified the dynamic document")
	}
	pg, err := e.Postgresql()
	must(t, err)
	if len(pg.PgHBA) != 1 || pg.PgHBA[0] != "local" || pg.Authentication.Superuser.SSLMode != "require" {
		t.Fatalf("typed postgresql = %+v", pg)
	}
}

func TestBuildEffectiveRejectsNonIntegerTiming(t *testing.T) {
	for _, dyn := range []map[string]any{{"ttl": "30s"}, {"loop_wait": []any{1}}, {"postgresql": "x"},
		{"postgresql": map[string]any{"parameters": []any{"a"}}}} {
		if _, err := BuildEffective(dyn, map[string]any{"scope": "s"}); err == nil {
			t.Errorf("%v: want an error", dyn)
		}
	}
}

func TestServerParametersAndCmdline(t *testing.T) {
	local := map[string]any{"scope": "batman", "postgresql": map[string]any{
		"listen": "10.0.0.1,127.0.0.1:5433", "data_dir": "/data",
		"parameters": map[string]any{"hba_file": "hba.conf", "ident_file": "/abs/ident", "max_connections": 1},
	}}
	dyn := map[string]any{"postgresql": map[string]any{"parameters": map[string]any{
		"wal_level": "hot_standby", "wal_keep_segments": 10, "max_connections": 300, "track_commit_timestamp": true}}}
	e, err := BuildEffective(dyn, local)
	must(t, err)
	p15, err := e.ServerParameters(150000)
	must(t, err)
	if p15["wal_level"] != "replica" || p15["wal_keep_size"] != "160MB" || p15["port"] != "5433" ||
		p15["listen_addresses"] != "10.0.0.1,127.0.0.1" || p15["cluster_name"] != "batman" ||
		p15["hba_file"] != "/data/hba.conf" || p15["ident_file"] != "/abs/ident" {
		t.Fatalf("pg15 params = %v", p15)
	}
	if _, ok := p15["wal_keep_segments"]; ok {
		t.Fatal("wal_keep_segments kept on 15")
	}
	want := []string{"--listen_addresses=10.0.0.1,127.0.0.1", "--port=5433", "--cluster_name=batman",
		"--wal_level=replica", "--hot_standby=on", "--max_connections=300", "--max_wal_senders=10",
		"--max_prepared_transactions=0", "--max_locks_per_transaction=64", "--track_commit_timestamp=on",
		"--max_replication_slots=10", "--max_worker_processes=8", "--wal_log_hints=on"}
	if got := CmdlineArgs(p15); !reflect.DeepEqual(got, want) {
		t.Fatalf("cmdline = %q", got)
	}
	got, err := PostgresCmdlineParams(dyn, local, 150000)
	must(t, err)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("PostgresCmdlineParams = %q", got)
	}
	// 9.3: no cluster_name/track_commit_timestamp/slots/workers; size → segments.
	dyn93 := map[string]any{"postgresql": map[string]any{"parameters": map[string]any{"wal_keep_size": "1GB", "wal_level": "replica"}}}
	e93, err := BuildEffective(dyn93, local)
	must(t, err)
	p93, err := e93.ServerParameters(90300)
	must(t, err)
	if p93["wal_level"] != "hot_standby" || p93["wal_keep_segments"] != 64 {
		t.Fatalf("9.3 params = %v", p93)
	}
	args := strings.Join(CmdlineArgs(p93), " ")
	for _, absent := range []string{"cluster_name", "track_commit_timestamp", "max_replication_slots", "wal_log_hints"} {
		if strings.Contains(args, absent) {
			t.Errorf("9.3 cmdline has %s: %s", absent, args)
		}
	}
}

func TestSplitHostPort(t *testing.T) {
	cases := []struct {
		in   string
		host string
		port int
	}{
		{"127.0.0.1:5432", "127.0.0.1", 5432}, {"host", "host", 7}, {"[::1]:5432", "::1", 5432},
		{"[::1],[fe80::1]:5433", "::1,fe80::1", 5433}, {"*:8008", "*", 8008},
	}
	for _, c := range cases {
		h, p, err := SplitHostPort(c.in, 7)
		if err != nil || h != c.host || p != c.port {
			t.Errorf("SplitHostPort(%q) = %q %d %v", c.in, h, p, err)
		}
	}
	if _, _, err := SplitHostPort("h:x", 1); err == nil {
		t.Error("want an error for a non-numeric port")
	}
}
