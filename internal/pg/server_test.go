package pg

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBootstrapAndObserve(t *testing.T) {
	needPostgres(t)
	dir := shortTempDir(t)
	ctx := ctxT(t)
	s := bootstrapPrimary(t, dir, "n1")

	st, err := s.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Running || !st.Ready || st.InRecovery || st.Timeline != 1 || st.WALPosition == 0 {
		t.Fatalf("state %+v", st)
	}
	conf, err := os.ReadFile(s.ConfigFile())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(conf), confHeader+"include 'postgresql.base.conf'\n") {
		t.Fatalf("postgresql.conf:\n%s", conf)
	}
	if !fileExists(filepath.Join(s.DataDir(), "postgresql.base.conf")) ||
		!fileExists(filepath.Join(s.DataDir(), "postgresql.conf.backup")) {
		t.Fatal("base conf or backup missing")
	}
	hba, _ := os.ReadFile(filepath.Join(s.DataDir(), "pg_hba.conf"))
	if string(hba) != RenderLines(testHBA) {
		t.Fatalf("pg_hba.conf:\n%s", hba)
	}
	// The roles exist and the passwords work over TCP.
	for _, u := range []User{s.opts.Superuser, *s.opts.Rewind} {
		p := ConnParams{"host": "127.0.0.1", "port": s.port(), "dbname": "postgres"}.WithUser(u)
		c, err := Connect(ctx, p)
		if err != nil {
			t.Fatalf("login as %s: %v", u.Username, err)
		}
		c.Close(ctx)
	}
	si, err := IdentifySystem(ctx, ConnParams{"host": "127.0.0.1", "port": s.port()}.WithUser(s.opts.Replication))
	if err != nil {
		t.Fatal(err)
	}
	sysid, _ := s.SystemID(ctx)
	if si.SystemID != sysid || si.Timeline != 1 {
		t.Fatalf("IDENTIFY_SYSTEM %+v vs %s", si, sysid)
	}
}
