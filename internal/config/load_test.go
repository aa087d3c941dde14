package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const sampleYAML = `
scope: batman
namespace: /service/
name: postgresql0
restapi:
  listen: 127.0.0.1:8008
  connect_address: 127.0.0.1:8008
  authentication: {username: admin, password: secret}
etcd3:
  hosts: 127.0.0.1:2379, 127.0.0.2:2379
bootstrap:
  dcs: {ttl: 30, loop_wait: 10, postgresql: {use_pg_rewind: true}}
  initdb: [{encoding: UTF8}, data-checksums, {locale: "'en US'"}]
  method: clone
  clone: {command: /bin/clone --x, no_params: on, keep_existing_recovery_conf: yes, recovery_conf: {a: b}, target: 5}
  post_init: /bin/post
postgresql:
  listen: 127.0.0.1:5432
  connect_address: 127.0.0.1:5432
  data_dir: data/postgresql0
  authentication:
    replication: {username: replicator, password: rep-pass, bogus: 1}
    superuser: {username: postgres, password: patroni}
  parameters: {unix_socket_directories: '..', max_connections: 200}
  create_replica_method: [pgbackrest, basebackup]
  pgbackrest: {command: /bin/restore, keep_data: True, no_master: 1, type: delta}
  basebackup: {max-rate: 100M, checkpoint: fast}
  callbacks: {on_start: /bin/cb, on_role_change: /bin/cb}
  use_pg_rewind: on
  pg_ctl_timeout: "30"
watchdog: {mode: require, safety_margin: -1}
tags: {nofailover: false, clonefrom: true, custom: x}
`

func TestLoadFileTypedAndDefaults(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "patroni.yml")
	writeFile(t, p, sampleYAML, 0o600)
	c, err := Load(p, []string{"PATRONI_SCOPE=fromenv", "PATRONI_RESTAPI_PASSWORD=envpw"})
	must(t, err)
	if c.Scope != "fromenv" || c.Name != "postgresql0" || c.File != p {
		t.Fatalf("scope/name/file = %q %q %q", c.Scope, c.Name, c.File)
	}
	if a := c.RestAPI.Authentication; a == nil || a.Username != "admin" || a.Password != "envpw" {
		t.Fatalf("restapi auth = %+v", a)
	}
	if c.Log.Level != "INFO" || c.Log.FileNum != 4 || c.Log.Format.Text == "" || c.RestAPI.RequestQueueSize != 5 {
		t.Fatalf("log/restapi defaults wrong: %+v %+v", c.Log, c.RestAPI)
	}
	if got := []string(c.Etcd3.Hosts); !reflect.DeepEqual(got, []string{"127.0.0.1:2379", "127.0.0.2:2379"}) {
		t.Fatalf("hosts = %v", got)
	}
	pg := c.Postgresql
	if !pg.UsePgRewind || pg.PgCtlTimeout != 30 || pg.Pgpass != "~/pgpass" || pg.Database != "postgres" ||
		pg.ConfigBaseName != "postgresql" {
		t.Fatalf("postgresql = %+v", pg)
	}
	if pg.Authentication.Replication.Username != "replicator" || pg.Authentication.Rewind != nil {
		t.Fatalf("auth = %+v", pg.Authentication)
	}
	if !reflect.DeepEqual(pg.CreateReplicaMethods, []string{"pgbackrest", "basebackup"}) {
		t.Fatalf("methods = %v", pg.CreateReplicaMethods)
	}
	rm := pg.ReplicaMethods["pgbackrest"]
	if rm.Command != "/bin/restore" || !rm.KeepData || !rm.NoLeader || rm.Extra["type"] != "delta" {
		t.Fatalf("pgbackrest = %+v", rm)
	}
	args, errs := pg.Basebackup.Args("pg_basebackup", BasebackupForbidden...)
	if !reflect.DeepEqual(args, []string{"--checkpoint=fast", "--max-rate=100M"}) || errs != nil {
		t.Fatalf("basebackup args = %v %v", args, errs)
	}
	args, errs = c.Bootstrap.InitDB.Args("initdb", InitDBForbidden...)
	if !reflect.DeepEqual(args, []string{"--encoding=UTF8", "--data-checksums", "--locale=en US"}) || errs != nil {
		t.Fatalf("initdb args = %v %v", args, errs)
	}
	bm := c.Bootstrap.Methods["clone"]
	if c.Bootstrap.Method != "clone" || bm.Command != "/bin/clone --x" || !bm.NoParams || !bm.KeepExistingRecoveryConf ||
		bm.Extra["target"] != 5 || c.Bootstrap.PostBootstrap != "/bin/post" {
		t.Fatalf("bootstrap = %+v", c.Bootstrap)
	}
	if c.Watchdog.Mode != WatchdogRequired || c.Watchdog.SafetyMargin != -1 || c.Watchdog.Device != "/dev/watchdog" {
		t.Fatalf("watchdog = %+v", c.Watchdog)
	}
	if pg.Callback("on_start") != "/bin/cb" || pg.Binary("pg_ctl") != "pg_ctl" {
		t.Fatal("callbacks/binary")
	}
	if typ, err := c.DCSType(); typ != "etcd3" || err != nil {
		t.Fatalf("dcs = %q %v", typ, err)
	}
	if c.Raw["tags"].(map[string]any)["custom"] != "x" {
		t.Fatal("raw lost unknown keys")
	}
}

func TestLoadDirectoryMergesInOrderAndNullDeletes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "10-base.yml"), "scope: a\nname: n\ntags: {x: 1, y: 2}\npostgresql: {listen: ':1'}\n", 0o600)
	writeFile(t, filepath.Join(dir, "20-over.yaml"), "scope: b\ntags: {x: ~, z: 3}\n", 0o600)
	writeFile(t, filepath.Join(dir, "30-ignored.txt"), "scope: c\n", 0o600)
	must(t, os.Mkdir(filepath.Join(dir, "40-dir.yml"), 0o755))
	raw, _, _, err := LoadRaw(dir, nil)
	must(t, err)
	want := map[string]any{"scope": "b", "name": "n", "tags": map[string]any{"y": 2, "z": 3},
		"postgresql": map[string]any{"listen": ":1"}}
	if !reflect.DeepEqual(raw, want) {
		t.Fatalf("got %v", raw)
	}
}

func TestLoadSources(t *testing.T) {
	// Missing file: PATRONI_CONFIGURATION, and then no other PATRONI_* applies.
	raw, file, consumed, err := LoadRaw("/nonexistent.yml", []string{
		"PATRONI_CONFIGURATION=scope: s\nname: n\n", "PATRONI_NAME=ignored"})
	must(t, err)
	if file != "" || raw["name"] != "n" || len(raw) != 2 {
		t.Fatalf("raw = %v file = %q", raw, file)
	}
	if !contains(consumed, "PATRONI_CONFIGURATION") || !contains(consumed, "PATRONI_NAME") {
		t.Fatalf("consumed = %v", consumed)
	}
	// Environment only.
	raw, _, _, err = LoadRaw("", []string{"PATRONI_NAME=n"})
	must(t, err)
	if raw["name"] != "n" {
		t.Fatalf("raw = %v", raw)
	}
	// Nothing at all.
	if _, _, _, err := LoadRaw("", []string{"HOME=/"}); !errors.Is(err, ErrEmpty) {
		t.Fatalf("err = %v", err)
	}
	// Empty PATRONI_CONFIGURATION falls back to the variables.
	raw, _, _, err = LoadRaw("", []string{"PATRONI_CONFIGURATION=", "PATRONI_SCOPE=x"})
	must(t, err)
	if raw["scope"] != "x" {
		t.Fatalf("raw = %v", raw)
	}
}

func TestLoadErrorsNameTheKey(t *testing.T) {
	cases := map[string]string{
		"scope: s\nrestapi: {listen: [1]}\n":                                 "restapi.listen",
		"scope: s\npostgresql: {pg_ctl_timeout: soon}\n":                     "postgresql.pg_ctl_timeout",
		"scope: s\npostgresql: {authentication: {}, use_pg_rewind: maybe}\n": "postgresql.use_pg_rewind",
		"scope: s\npostgresql: {pg_hba: {a: b}}\n":                           "postgresql.pg_hba",
		"scope: s\netcd3: {hosts: [1]}\n":                                    "etcd3.hosts.0",
		"scope: s\nlog: {format: [{a: 1}]}\n":                                "log.format.0.a",
		"scope: s\nbootstrap: {initdb: 5}\n":                                 "bootstrap.initdb",
		"scope: s\npostgresql: {authentication: {superuser: x}}\n":           "postgresql.authentication.superuser",
		"scope: s\npostgresql: {pgbackrest: {command: [x]}}\n":               "postgresql.pgbackrest.command",
		"scope: s\ntags: [a]\n":                                              "tags",
		"scope: s\nzookeeper: {set_acls: {a: b}}\n":                          "zookeeper.set_acls.a",
		"scope: s\nbootstrap: {users: {u: {options: {a: 1}}}}\n":             "bootstrap.users.u.options",
		"scope: s\nconsul: {verify: sometimes}\n":                            "consul.verify",
		"scope: s\npostgresql: {callbacks: {on_start: {a: 1}}}\n":            "postgresql.callbacks.on_start",
		"scope: s\ncitus: {group: one}\n":                                    "citus.group",
		"scope: s\nwatchdog: {mode: [x]}\n":                                  "watchdog.mode",
		"scope: s\nrestapi: {http_extra_headers: {X: [1]}}\n":                "restapi.http_extra_headers.X",
	}
	for doc, key := range cases {
		raw, err := ParseYAMLMap([]byte(doc))
		must(t, err)
		_, err = FromMap(raw)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Path != key {
			t.Errorf("%q: err = %v, want a FieldError for %s", doc, err, key)
		}
	}
}

func TestLoadMalformedYAML(t *testing.T) {
	dir := t.TempDir()
	for name, doc := range map[string]string{
		"bad.yml":   "scope: [unclosed\n",
		"list.yml":  "- a\n- b\n",
		"empty.yml": "",
		"tabs.yml":  "a:\n\t- b\n",
	} {
		p := filepath.Join(dir, name)
		writeFile(t, p, doc, 0o600)
		_, err := Load(p, nil)
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err = %v, want an error naming the file", name, err)
		}
	}
}

func TestYAML11Booleans(t *testing.T) {
	v, err := ParseYAMLMap([]byte("a: on\nb: 'on'\nc: No\nd: true\ne: y\nf: 010\ng: 0x1F\nh: 1.5\ni: ~\n"))
	must(t, err)
	want := map[string]any{"a": true, "b": "on", "c": false, "d": true, "e": "y", "f": 8, "g": 31, "h": 1.5, "i": nil}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("got %#v", v)
	}
	v, err = ParseYAMLMap([]byte("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n"))
	must(t, err)
	if o := v["other"].(map[string]any); o["x"] != 1 || o["y"] != 3 {
		t.Fatalf("merge key: %v", o)
	}
}

func TestLegacyLocalConfiguration(t *testing.T) {
	raw := map[string]any{"scope": "s", "postgresql": map[string]any{
		"name":        "legacy",
		"replication": map[string]any{"username": "r", "password": "rp"},
		"pg_rewind":   map[string]any{"username": "su", "password": "sp"},
	}}
	c, err := FromMap(raw)
	must(t, err)
	a := c.Postgresql.Authentication
	if c.Name != "legacy" || a.Replication.Username != "r" || a.Superuser.Username != "su" || !c.Postgresql.UsePgRewind {
		t.Fatalf("legacy conversion: name %q auth %+v", c.Name, a)
	}
	if _, ok := raw["name"]; ok {
		t.Fatal("FromMap modified its input")
	}
}

func TestDCSTypeRejectsUnsupported(t *testing.T) {
	for doc, want := range map[string]string{
		"scope: s\netcd: {host: h}\n":                   "etcd v2",
		"scope: s\nkubernetes: {}\n":                    "kubernetes",
		"scope: s\n":                                    "no DCS",
		"scope: s\nconsul: {}\nzookeeper: {hosts: h}\n": "",
	} {
		raw, _ := ParseYAMLMap([]byte(doc))
		c, err := FromMap(raw)
		must(t, err)
		typ, err := c.DCSType()
		if want == "" {
			if typ != "consul" || err != nil {
				t.Errorf("%q: %q %v", doc, typ, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", doc, err, want)
		}
	}
}
