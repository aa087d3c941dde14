package pg

import (
	"reflect"
	"strings"
	"testing"
)

func TestLSN(t *testing.T) {
	cases := map[string]LSN{"0/3000060": 0x3000060, "0/0": 0, "1/0": 1 << 32, "AB/CDEF0123": 0xAB_CDEF0123}
	for s, want := range cases {
		got, err := ParseLSN(s)
		if err != nil || got != want {
			t.Fatalf("ParseLSN(%q) = %v, %v; want %v", s, got, err, want)
		}
		if got.String() != s {
			t.Fatalf("String(%d) = %q, want %q", got, got.String(), s)
		}
	}
	for _, bad := range []string{"", "0", "/1", "x/1", "0/123456789", "1/"} {
		if _, err := ParseLSN(bad); err == nil {
			t.Fatalf("ParseLSN(%q) accepted", bad)
		}
	}
	if p := LSN(0x182E220).Padded(); p != "0/0182E220" {
		t.Fatalf("Padded = %q", p)
	}
	if f := WalFileName(2, 0x3000060, 0); f != "000000020000000000000003" {
		t.Fatalf("WalFileName = %q", f)
	}
}

func TestSlotName(t *testing.T) {
	cases := map[string]string{
		"postgresql0":           "postgresql0",
		"Node-1.dc":             "node_1_dc",
		"a@b":                   "au0064b",
		"ö":                     "u0246",
		strings.Repeat("x", 70): strings.Repeat("x", 63),
	}
	for in, want := range cases {
		if got := SlotName(in); got != want {
			t.Fatalf("SlotName(%q) = %q, want %q", in, got, want)
		}
	}
	if ValidSlotName("Bad") || !ValidSlotName("good_1") {
		t.Fatal("ValidSlotName")
	}
}

func TestSyncStandbyNames(t *testing.T) {
	cases := []struct {
		names  []string
		num    int
		quorum bool
		want   string
	}{
		{nil, 0, false, ""},
		{[]string{"b"}, 0, false, "b"},
		{[]string{"b", "a"}, 0, false, "2 (a,b)"},
		{[]string{"node-2", "node1"}, 1, false, `1 ("node-2",node1)`},
		{[]string{"a", "*"}, 0, false, SyncStrictPlaceholder},
		{nil, 1, false, SyncStrictPlaceholder},
		{[]string{`x"y`}, 0, false, `"x""y"`},
		{[]string{"any"}, 0, false, `"any"`},
		{[]string{"c", "a", "b"}, 2, true, "ANY 2 (a,b,c)"},
		{[]string{"a"}, 1, true, "ANY 1 (a)"},
		{[]string{"b", "a"}, 0, true, "ANY 2 (a,b)"}, // no quorum size: all must confirm, never the invalid ANY 0
	}
	for _, c := range cases {
		if got := SyncStandbyNames(c.names, c.num, c.quorum); got != c.want {
			t.Errorf("SyncStandbyNames(%v,%d,%v) = %q, want %q", c.names, c.num, c.quorum, got, c.want)
		}
	}
}

func TestFormatDSN(t *testing.T) {
	p := ConnParams{"dbname": "postgres", "user": "replicator", "password": "x", "passfile": "/tmp/pgpass0",
		"host": "127.0.0.1", "port": "5432", "sslmode": "prefer", "application_name": "postgres1",
		"gssencmode": "prefer", "channel_binding": "prefer", "sslnegotiation": "postgres", "junk": "1"}
	want := "dbname=postgres user=replicator passfile=/tmp/pgpass0 host=127.0.0.1 port=5432 sslmode=prefer application_name=postgres1 gssencmode=prefer channel_binding=prefer"
	if got := FormatDSN(p, 15); got != want {
		t.Fatalf("FormatDSN:\n got %s\nwant %s", got, want)
	}
	if got := FormatDSN(p, 17); got != want+" sslnegotiation=postgres" {
		t.Fatalf("FormatDSN 17: %s", got)
	}
	if got := FormatDSN(p, 12); strings.Contains(got, "channel_binding") || !strings.Contains(got, "gssencmode") {
		t.Fatalf("FormatDSN 12: %s", got)
	}
	esc := FormatDSN(ConnParams{"user": `o'k \ me`, "password": "p w"}, 15)
	if esc != `user=o\'k\ \\\ me password=p\ w` {
		t.Fatalf("escaping: %s", esc)
	}
	back, err := ParseDSN(esc)
	if err != nil || back["user"] != `o'k \ me` || back["password"] != "p w" {
		t.Fatalf("ParseDSN round trip: %v %v", back, err)
	}
	q, err := ParseDSN("host='a b' port=5 password='it\\'s'")
	if err != nil || q["host"] != "a b" || q["port"] != "5" || q["password"] != "it's" {
		t.Fatalf("ParseDSN quoted: %v %v", q, err)
	}
}

func TestPgPassContent(t *testing.T) {
	got := PgPassContent(ConnParams{"host": "h1,/tmp", "port": "5432", "user": "u:x", "password": `p\w`})
	want := "h1:5432:*:u\\:x:p\\\\w\n/tmp:5432:*:u\\:x:p\\\\w\nlocalhost:5432:*:u\\:x:p\\\\w\n"
	if got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	if PgPassContent(ConnParams{"host": "h"}) != "" {
		t.Fatal("no password must give no content")
	}
}

func TestParseConnURL(t *testing.T) {
	p, err := ParseConnURL("postgres://10.0.0.1:5433/postgres")
	if err != nil || !reflect.DeepEqual(p, ConnParams{"host": "10.0.0.1", "port": "5433", "dbname": "postgres"}) {
		t.Fatalf("%v %v", p, err)
	}
	if ConnURL("127.0.0.1:5432", "postgres") != "postgres://127.0.0.1:5432/postgres" {
		t.Fatal("ConnURL")
	}
}

func TestParseVersion(t *testing.T) {
	cases := map[string][2]int{
		"postgres (PostgreSQL) 15.4 (Debian 15.4-1)\n": {15, 150004},
		"postgres (PostgreSQL) 17devel":                {17, 170000},
		"postgres (PostgreSQL) 9.6.24":                 {9, 90600},
	}
	for in, want := range cases {
		m, n, err := ParseVersionOutput(in)
		if err != nil || m != want[0] || n != want[1] {
			t.Fatalf("%q → %d %d %v", in, m, n, err)
		}
	}
	if _, _, err := ParseVersionOutput("garbage"); err == nil {
		t.Fatal("garbage accepted")
	}
}

func TestUserOptions(t *testing.T) {
	got, err := UserOptions("initdb", []any{"data-checksums", map[string]any{"encoding": "UTF8"},
		map[string]any{"locale": `"en_US UTF"`}}, initdbForbidden)
	if err != nil || !reflect.DeepEqual(got, []string{"--data-checksums", "--encoding=UTF8", "--locale=en_US UTF"}) {
		t.Fatalf("%v %v", got, err)
	}
	got, err = UserOptions("initdb", map[string]any{"encoding": "UTF8", "auth": "md5"}, initdbForbidden)
	if err != nil || !reflect.DeepEqual(got, []string{"--auth=md5", "--encoding=UTF8"}) {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []any{[]any{"nosync"}, map[string]any{"pgdata": "/x"}, []any{map[string]any{"a": "1", "b": "2"}},
		[]any{3}, "str"} {
		if _, err := UserOptions("initdb", bad, initdbForbidden); err == nil {
			t.Fatalf("%v accepted", bad)
		}
	}
}

func TestSplitCommand(t *testing.T) {
	got, err := SplitCommand(`/bin/sh -c 'echo "a b"' "x\"y" z\ w`)
	if err != nil || !reflect.DeepEqual(got, []string{"/bin/sh", "-c", `echo "a b"`, `x"y`, "z w"}) {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := SplitCommand(`a 'b`); err == nil {
		t.Fatal("unbalanced quote accepted")
	}
}

func TestParseHistoryAndNeedsRewind(t *testing.T) {
	h, err := ParseHistory("1\t0/3000060\tno recovery target specified\n\n2\t0/5000000\tbefore 2000-01-01\n")
	if err != nil || len(h) != 2 || h[1].Parent != 2 || h[1].SwitchPoint != 0x5000000 {
		t.Fatalf("%v %v", h, err)
	}
	base := DivergenceInput{LocalTimeline: 1, LeaderTimeline: 3, History: h}
	cases := []struct {
		name string
		mod  func(*DivergenceInput)
		want bool
	}{
		{"local ahead", func(d *DivergenceInput) { d.LocalTimeline = 4 }, true},
		{"same timeline", func(d *DivergenceInput) { d.LocalTimeline = 3 }, false},
		{"replica behind switch", func(d *DivergenceInput) { d.LocalInRecovery, d.LocalLSN = true, 0x3000060 }, false},
		{"replica past switch", func(d *DivergenceInput) { d.LocalInRecovery, d.LocalLSN = true, 0x3000061 }, true},
		{"ex-primary at switch", func(d *DivergenceInput) { d.LocalLSN = 0x3000060 }, true},
		{"ex-primary checkpoint ends at switch", func(d *DivergenceInput) { d.LocalLSN, d.CheckpointEnd = 0x3000000, 0x3000060 }, false},
		{"ex-primary checkpoint elsewhere", func(d *DivergenceInput) { d.LocalLSN, d.CheckpointEnd = 0x3000000, 0x3000050 }, true},
		{"unknown timeline", func(d *DivergenceInput) { d.History = h[1:] }, true},
	}
	for _, c := range cases {
		in := base
		c.mod(&in)
		if got := NeedsRewind(in); got != c.want {
			t.Errorf("%s: got %v", c.name, got)
		}
	}
}

const controldataOut = `pg_control version number:            1300
Catalog version number:               202209061
Database system identifier:           7306519034813227351
Database cluster state:               shut down in recovery
pg_control last modified:             Mon 27 Nov 2023 07:00:00 AM UTC
Latest checkpoint location:           0/3000098
Latest checkpoint's REDO location:    0/3000060
Latest checkpoint's REDO WAL file:    000000010000000000000003
Latest checkpoint's TimeLineID:       1
Minimum recovery ending location:     0/4000028
Min recovery ending loc's timeline:   2
wal_level setting:                    replica
wal_log_hints setting:                on
max_connections setting:              100
max_worker_processes setting:         8
max_wal_senders setting:              10
max_prepared_xacts setting:           0
max_locks_per_xact setting:           64
Bytes per WAL segment:                16777216
Data page checksum version:           0
`

func TestParseControldata(t *testing.T) {
	cd, err := ParseControldata(controldataOut)
	if err != nil {
		t.Fatal(err)
	}
	if cd.SystemIdentifier != "7306519034813227351" || cd.State != StateShutDownInRecovery ||
		cd.CheckpointLocation != 0x3000098 || cd.RedoLocation != 0x3000060 || cd.CheckpointTimeline != 1 ||
		cd.MinRecoveryEnd != 0x4000028 || cd.MinRecoveryEndTLI != 2 || !cd.WalLogHints || cd.DataChecksums ||
		cd.MaxConnections != 100 || cd.MaxWalSenders != 10 || cd.MaxLocksPerXact != 64 ||
		cd.WalSegmentSize != 16<<20 || cd.RedoWALFile != "000000010000000000000003" || !cd.AllowsRewind() {
		t.Fatalf("%+v", cd)
	}
	pos, err := positionFromControldata(cd)
	if err != nil || !pos.InRecovery || pos.Timeline != 2 || pos.LSN != 0x4000028 {
		t.Fatalf("%+v %v", pos, err)
	}
	cd.MinRecoveryEnd = 0
	pos, _ = positionFromControldata(cd)
	if pos.InRecovery || pos.Timeline != 1 || pos.LSN != 0x3000098 {
		t.Fatalf("crashed primary position %+v", pos)
	}
	if _, err := ParseControldata("nonsense"); err == nil {
		t.Fatal("nonsense accepted")
	}
}
