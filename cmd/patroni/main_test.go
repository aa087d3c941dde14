package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := run([]string{"--version"}, &out, &errb); rc != 0 || out.String() != "patroni 4.1.4\n" {
		t.Fatalf("rc %d out %q err %q", rc, out.String(), errb.String())
	}
}

func TestValidateConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "p.yml")
	// Loopback connect addresses are refused; everything else here needs no network.
	doc := `name: n
scope: s
restapi: {listen: "127.0.0.1:1", connect_address: "127.0.0.1:8008"}
consul: {url: "http://127.0.0.1:1"}
postgresql:
  listen: 127.0.0.1:1
  connect_address: 10.0.0.1:5432
  data_dir: ` + filepath.Join(dir, "data") + `
  bin_dir: ` + dir + `
  authentication: {superuser: {username: a}, replication: {username: b}}
`
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	rc := run([]string{"--validate-config", p}, &out, &errb)
	if rc != 1 || !strings.Contains(errb.String(), "restapi.connect_address 127.0.0.1:8008 didn't pass validation") ||
		!strings.Contains(errb.String(), "postgresql.bin_dir  does not contain 'pg_ctl' in '"+dir+"'") {
		t.Fatalf("rc %d stderr:\n%s", rc, errb.String())
	}
	if rc := run([]string{"--validate-config", filepath.Join(dir, "missing.yml")}, &out, &errb); rc != 1 {
		t.Fatalf("missing file and no environment: rc %d", rc)
	}
}

// Without a configuration file or PATRONI_* variables the daemon refuses to start, with
// Patroni's message.
func TestNoConfigurationIsEmpty(t *testing.T) {
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATRONI_") {
			k, _, _ := strings.Cut(kv, "=")
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	var out, errb bytes.Buffer
	if rc := run(nil, &out, &errb); rc != 1 || !strings.Contains(errb.String(), "Config is empty.") {
		t.Fatalf("rc %d err %q", rc, errb.String())
	}
	if rc := run([]string{"--bogus"}, &out, &errb); rc != 2 {
		t.Fatalf("unknown flag: rc %d", rc)
	}
}
