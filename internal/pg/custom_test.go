package pg

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCustomBootstrap(t *testing.T) {
	needPostgres(t)
	dir := shortTempDir(t)
	ctx := ctxT(t)
	o := nodeOptions(dir, "n1", freePort(t))
	script := filepath.Join(dir, "restore.sh")
	os.WriteFile(script, []byte(`#!/bin/sh
for a in "$@"; do case "$a" in --datadir=*) D="${a#--datadir=}";; esac; done
echo "$@" > `+dir+`/custom.args
initdb -U postgres -A trust "$D" >/dev/null || exit 1
`), 0o755)
	o.BootstrapMethod = &BootstrapMethod{Name: "restore", Command: script, Params: []Param{{"backup", "latest"}}}
	s := newTestServer(t, o)
	if err := s.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "custom.args"))
	if string(args) != "--scope=pgtest --datadir="+o.DataDir+" --backup=latest\n" {
		t.Fatalf("custom bootstrap args %q", args)
	}
	hba, _ := os.ReadFile(filepath.Join(o.DataDir, "pg_hba.conf"))
	if !strings.Contains(string(hba), "local\tall\tpostgres\t\ttrust") {
		t.Fatalf("trust pg_hba while bootstrapping:\n%s", hba)
	}
	if err := s.PostBootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	hba, _ = os.ReadFile(filepath.Join(o.DataDir, "pg_hba.conf"))
	if string(hba) != RenderLines(testHBA) {
		t.Fatalf("pg_hba.conf after post_bootstrap:\n%s", hba)
	}
	// The superuser password set by PostBootstrap works over TCP.
	p := ConnParams{"host": "127.0.0.1", "port": s.port(), "dbname": "postgres"}.WithUser(o.Superuser)
	c, err := Connect(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
}
