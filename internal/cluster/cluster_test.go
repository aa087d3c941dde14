package cluster

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Values Patroni 4.1 writes must come back byte for byte after a parse and an encode.
func TestRoundTripPatroni41Values(t *testing.T) {
	type codec func([]byte) ([]byte, error)
	member := func(b []byte) ([]byte, error) {
		d, err := ParseMemberData(b)
		if err != nil {
			return nil, err
		}
		return d.Encode()
	}
	failover := func(b []byte) ([]byte, error) {
		f, err := ParseFailover(b)
		if err != nil {
			return nil, err
		}
		return f.Encode()
	}
	history := func(b []byte) ([]byte, error) {
		h, err := ParseHistory(b)
		if err != nil {
			return nil, err
		}
		return h.Encode()
	}
	status := func(b []byte) ([]byte, error) {
		s, err := ParseStatus(b)
		if err != nil {
			return nil, err
		}
		return s.Encode()
	}
	sync := func(b []byte) ([]byte, error) {
		s, err := ParseSyncState(b)
		if err != nil {
			return nil, err
		}
		return s.Encode()
	}
	failsafe := func(b []byte) ([]byte, error) {
		f, err := ParseFailsafe(b)
		if err != nil {
			return nil, err
		}
		return f.Encode()
	}
	cases := map[string]codec{
		"member_primary_4.1.json":  member,
		"member_replica_4.1.json":  member,
		"failover_switchover.json": failover,
		"failover_scheduled.json":  failover,
		"failover_manual.json":     failover,
		"failover_cleared.json":    failover,
		"history.json":             history,
		"history_old.json":         history,
		"status_3.3.1.json":        status,
		"status_4.1.json":          status,
		"sync_quorum_4.1.json":     sync,
		"sync_none_4.1.json":       sync,
		"failsafe.json":            failsafe,
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			in := golden(t, name)
			out, err := c(in)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != string(in) {
				t.Errorf("re-encoded value differs\n got: %s\nwant: %s", out, in)
			}
		})
	}
}

func TestReadPatroni3Members(t *testing.T) {
	d, err := ParseMemberData(golden(t, "member_primary_3.3.1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !d.Role.IsPrimary() || d.Role != RoleMaster || d.State != "running" || *d.XLogLocation != 50331968 ||
		*d.Timeline != 3 || !Tags(d.Tags).CloneFrom() || d.APIURL != "http://127.0.0.1:8008/patroni" {
		t.Errorf("unexpected member data %+v", d)
	}
	r, err := ParseMemberData(golden(t, "member_replica_3.3.1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Role.IsPrimary() || r.ReplicationState != "streaming" || r.ConnURL != "postgres://127.0.0.1:5433/postgres" {
		t.Errorf("unexpected replica data %+v", r)
	}
}

func TestLegacyMemberFormats(t *testing.T) {
	d, err := ParseMemberData([]byte("postgres://replicator:rep-pass@127.0.0.1:5434/postgres?application_name=http://127.0.0.1:8010/patroni"))
	if err != nil {
		t.Fatal(err)
	}
	if d.ConnURL != "postgres://replicator:rep-pass@127.0.0.1:5434/postgres" || d.APIURL != "http://127.0.0.1:8010/patroni" {
		t.Errorf("governor format: %+v", d)
	}
	k, err := ParseMemberData([]byte(`{"conn_kwargs":{"host":"10.0.0.5","port":5432,"dbname":"postgres"},"api_url":"http://10.0.0.5:8008/patroni","role":"replica","state":"running"}`))
	if err != nil || k.ConnURL != "postgresql://10.0.0.5:5432" {
		t.Errorf("conn_kwargs format: %+v %v", k, err)
	}
	for _, garbage := range []string{"", "[]", "42", "{", `"x"`, "null"} {
		g, err := ParseMemberData([]byte(garbage))
		if err == nil || g.State != "unknown" {
			t.Errorf("%q: want an error and state unknown, got %+v, %v", garbage, g, err)
		}
	}
}

func TestParseView(t *testing.T) {
	sysid := "7277694203142172922"
	v := Parse([]KeyValue{
		{Key: "initialize", Value: []byte(sysid), Version: 2},
		{Key: "config", Value: golden(t, "config.json"), Version: 3, ModifyVersion: 3},
		{Key: "leader", Value: []byte("postgres0"), Version: 10, Session: "7587"},
		{Key: "members/postgres1", Value: golden(t, "member_replica_3.3.1.json"), Version: 9},
		{Key: "members/postgres0", Value: golden(t, "member_primary_4.1.json"), Version: 8},
		{Key: "members/deep/ignored", Value: []byte("{}")},
		{Key: "optime/leader", Value: []byte("1234")},
		{Key: "failover", Value: []byte("postgres0:postgres1"), Version: 11},
		{Key: "sync", Value: []byte(`{"leader":"postgres0","sync_standby":"Postgres1, ,"}`), Version: 12},
		{Key: "history", Value: golden(t, "history.json"), Version: 13},
		{Key: "failsafe", Value: []byte("garbage")},
		{Key: "unknown/key", Value: []byte("x")},
	})
	if v.Initialize == nil || *v.Initialize != sysid || !IsValidSysid(*v.Initialize) {
		t.Errorf("initialize: %v", v.Initialize)
	}
	if !v.Config.IsValid() || v.Config.Data["ttl"] == nil {
		t.Errorf("config: %+v", v.Config)
	}
	if v.LeaderName() != "postgres0" || v.Leader.Member == nil || v.Leader.Member.APIURL != "http://127.0.0.1:8008/patroni" || v.Leader.Session != "7587" {
		t.Errorf("leader: %+v", v.Leader)
	}
	if len(v.Members) != 2 || v.Members[0].Name != "postgres0" || v.Members[1].Name != "postgres1" {
		t.Errorf("members: %+v", v.Members)
	}
	if v.Status.Optime != 1234 {
		t.Errorf("legacy optime fallback: %+v", v.Status)
	}
	if v.Failover.Leader != "postgres0" || v.Failover.Member != "postgres1" || v.Failover.Version != 11 {
		t.Errorf("legacy failover: %+v", v.Failover)
	}
	if !v.Sync.Matches("postgres1", false) || v.Sync.Matches("postgres2", true) || !v.Sync.Matches("POSTGRES0", true) {
		t.Errorf("sync: %+v", v.Sync)
	}
	if v.Timeline() != 3 {
		t.Errorf("timeline from history: %d", v.Timeline())
	}
	if v.Failsafe != nil || len(v.Problems) != 1 {
		t.Errorf("failsafe garbage must give nil and one problem: %v %v", v.Failsafe, v.Problems)
	}
}

func TestInvalidConfigAndEmptyLeader(t *testing.T) {
	v := Parse([]KeyValue{{Key: "config", Value: []byte("[1]"), ModifyVersion: 5}, {Key: "leader", Value: []byte("")}})
	if v.Config.IsValid() || len(v.Config.Data) != 0 {
		t.Errorf("non-object config must be invalid and empty: %+v", v.Config)
	}
	if !v.IsUnlocked() {
		t.Error("an empty leader value means unlocked")
	}
	if !Parse(nil).IsEmpty() {
		t.Error("no keys is an empty cluster")
	}
}

func TestTags(t *testing.T) {
	cases := []struct {
		tags       Tags
		nofailover bool
		priority   int64
	}{
		{Tags{}, false, 1},
		{Tags{"nofailover": true}, true, 0},
		{Tags{"nofailover": false, "failover_priority": 0}, false, 0},
		{Tags{"failover_priority": 0}, true, 0},
		{Tags{"failover_priority": 3}, false, 3},
		{Tags{"failover_priority": "2"}, false, 2},
		{Tags{"nofailover": true, "failover_priority": 5}, true, 0},
	}
	for _, c := range cases {
		if c.tags.NoFailover() != c.nofailover || c.tags.FailoverPriority() != c.priority {
			t.Errorf("%v: nofailover=%v priority=%d", c.tags, c.tags.NoFailover(), c.tags.FailoverPriority())
		}
	}
	if (Tags{"nosync": false, "sync_priority": 0}).NoSync() || !(Tags{"sync_priority": 0}).NoSync() || !(Tags{"nosync": true}).NoSync() {
		t.Error("an explicit nosync decides; only without it does sync_priority <= 0 mean nosync")
	}
	if !(Tags{"nostream": "on"}).NoStream() || (Tags{"nostream": "nope"}).NoStream() {
		t.Error("nostream is a lenient boolean string")
	}
}

func TestSlotName(t *testing.T) {
	for in, want := range map[string]string{"postgres-1": "postgres_1", "Node.A": "node_a", "a@b": "au0064b", "é": "u0233"} {
		if got := SlotName(in); got != want {
			t.Errorf("SlotName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTimestamps(t *testing.T) {
	ts, err := ParseTimestamp("2019-09-24T12:00:00+00:00")
	if err != nil || FormatTimestamp(ts) != "2019-09-24T12:00:00+00:00" {
		t.Errorf("%v %v", ts, err)
	}
	ts2 := time.Date(2024, 5, 2, 10, 0, 0, 123456000, time.FixedZone("", 2*3600))
	if got := FormatTimestamp(ts2); got != "2024-05-02T10:00:00.123456+02:00" {
		t.Error(got)
	}
	if _, err := ParseTimestamp("tomorrow"); err == nil {
		t.Error("garbage must not parse")
	}
}

func TestNonASCIIEscapedLikePython(t *testing.T) {
	b, err := Failover{Leader: "nöde", Member: "🐘"}.Encode()
	if err != nil || string(b) != `{"leader":"n\u00f6de","member":"\ud83d\udc18"}` {
		t.Errorf("%s %v", b, err)
	}
}
