package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestDynamicDefaults(t *testing.T) {
	d := DefaultDynamic()
	if d.TTL != 30 || d.LoopWait != 10 || d.RetryTimeout != 10 || d.MaximumLagOnFailover != 1048576 ||
		d.MaximumLagOnSyncnode != -1 || d.PrimaryStartTimeout != 300 || d.PrimaryStopTimeout != 0 ||
		d.MemberSlotsTTL != 1800 || d.PrimaryRaceBackoff != 0 || d.SynchronousMode != SyncOff ||
		d.SynchronousNodeCount != 1 || !d.UseSlots || d.Pause || d.FailsafeMode || d.CheckTimeline ||
		d.IsStandbyCluster() || d.StandbyCluster != nil || len(d.PermanentSlots) != 0 || d.Rejected != nil ||
		len(d.Problems) != 0 {
		t.Fatalf("defaults = %+v", d)
	}
}

func TestDynamicLenientParsing(t *testing.T) {
	raw := map[string]any{
		"ttl": "40", "loop_wait": 5, "retry_timeout": 10.0,
		"maximum_lag_on_failover": "2MB", "maximum_lag_on_syncnode": "1048576",
		"master_start_timeout": "60", "master_stop_timeout": 30, "primary_stop_timeout": "5",
		"member_slots_ttl": "1h", "primary_race_backoff": "6",
		"synchronous_mode": "ON", "synchronous_mode_strict": "yes", "synchronous_node_count": 0,
		"failsafe_mode": 1, "check_timeline": "off", "pause": true,
		"postgresql": map[string]any{"use_slots": "no"},
	}
	d := ParseDynamic(raw)
	if d.TTL != 40 || d.LoopWait != 5 || d.RetryTimeout != 10 || d.MaximumLagOnFailover != 1048576 ||
		d.MaximumLagOnSyncnode != 1048576 || d.PrimaryStartTimeout != 60 || d.PrimaryStopTimeout != 5 ||
		d.MemberSlotsTTL != 3600 || d.PrimaryRaceBackoff != 6 || d.SynchronousMode != SyncOn ||
		!d.SynchronousModeStrict || d.SynchronousNodeCount != 0 || d.SyncNodeCount() != 1 ||
		!d.FailsafeMode || d.CheckTimeline || !d.Pause || d.UseSlots || !d.IsSynchronousMode() {
		t.Fatalf("parsed = %+v", d)
	}
	// "2MB" has no base unit for maximum_lag_on_failover: Patroni falls back to the default.
	if len(d.Problems) != 1 || !strings.Contains(d.Problems[0], "maximum_lag_on_failover") {
		t.Fatalf("problems = %q", d.Problems)
	}
}

func TestDynamicSyncModes(t *testing.T) {
	cases := map[any]SyncMode{true: SyncOn, "on": SyncOn, "1": SyncOn, false: SyncOff, "off": SyncOff,
		"quorum": SyncQuorum, "Quorum": SyncQuorum, "bogus": SyncOff, nil: SyncOff}
	for in, want := range cases {
		d := ParseDynamic(map[string]any{"synchronous_mode": in})
		if d.SynchronousMode != want {
			t.Errorf("synchronous_mode %#v → %s, want %s", in, d.SynchronousMode, want)
		}
	}
	d := ParseDynamic(map[string]any{"synchronous_mode": "quorum", "standby_cluster": map[string]any{"port": 5432}})
	if !d.IsStandbyCluster() || d.IsSynchronousMode() || !d.IsQuorumCommitMode() {
		t.Fatalf("standby cluster must disable synchronous mode: %+v", d)
	}
}

func TestDynamicTimingRule(t *testing.T) {
	cases := []struct {
		in                   map[string]any
		ttl, loopWait, retry int
		warnings             int
	}{
		{map[string]any{}, 30, 10, 10, 0},
		{map[string]any{"ttl": 10, "loop_wait": 0, "retry_timeout": 1}, 20, 1, 3, 3},
		{map[string]any{"ttl": 20, "loop_wait": 10, "retry_timeout": 10}, 20, 1, 9, 1},
		{map[string]any{"ttl": 30, "loop_wait": 15, "retry_timeout": 10}, 30, 10, 10, 1},
		{map[string]any{"ttl": "25", "loop_wait": "2", "retry_timeout": "11"}, 25, 2, 11, 0},
	}
	for _, c := range cases {
		d := ParseDynamic(c.in)
		if d.TTL != c.ttl || d.LoopWait != c.loopWait || d.RetryTimeout != c.retry || len(d.Problems) != c.warnings {
			t.Errorf("%v → ttl %d loop_wait %d retry %d problems %q", c.in, d.TTL, d.LoopWait, d.RetryTimeout, d.Problems)
		}
	}
	d := ParseDynamic(map[string]any{"ttl": "30s", "loop_wait": 3})
	if d.Rejected == nil || d.TTL != 30 || d.LoopWait != 10 {
		t.Fatalf("non-integer ttl must be rejected: %+v", d)
	}
}

func TestDynamicSlots(t *testing.T) {
	d := ParseDynamic(map[string]any{
		"slots": map[string]any{"ignored": nil},
		"permanent_slots": map[string]any{
			"phys":    nil,
			"phys2":   map[string]any{"type": "physical", "cluster_type": "standby"},
			"logical": map[string]any{"database": "db", "plugin": "pgoutput"},
			"broken":  map[string]any{"type": "logical", "database": "db"},
			"zero":    0,
		},
		"ignore_slots": []any{map[string]any{"name": "x"}, map[string]any{"type": "logical", "plugin": "wal2json"}, "junk"},
	})
	want := map[string]string{"phys": "physical", "phys2": "physical", "logical": "logical", "broken": "", "zero": "physical"}
	got := map[string]string{}
	for n, s := range d.PermanentSlots {
		got[n] = s.Type
	}
	if !reflect.DeepEqual(got, want) || d.PermanentSlots["phys2"].ClusterType != "standby" ||
		d.PermanentSlots["logical"].Database != "db" {
		t.Fatalf("slots = %+v", d.PermanentSlots)
	}
	if len(d.IgnoreSlots) != 2 || !d.IgnoreSlots[1].Matches("any", "logical", "db", "wal2json") ||
		d.IgnoreSlots[1].Matches("any", "physical", "", "") || !d.IgnoreSlots[0].Matches("x", "physical", "", "") {
		t.Fatalf("ignore_slots = %+v", d.IgnoreSlots)
	}
	if len(d.Problems) != 1 {
		t.Fatalf("problems = %q", d.Problems)
	}
}

func TestDynamicStandbyCluster(t *testing.T) {
	d := ParseDynamic(map[string]any{"standby_cluster": map[string]any{
		"host": "10.0.0.1", "port": 5432, "primary_slot_name": "s", "create_replica_methods": []any{"basebackup"},
		"restore_command": "cp", "recovery_min_apply_delay": "5min"}})
	sc := d.StandbyCluster
	if !d.IsStandbyCluster() || sc.Host != "10.0.0.1" || sc.Port != "5432" || sc.PrimarySlotName != "s" ||
		!reflect.DeepEqual(sc.CreateReplicaMethods, []string{"basebackup"}) || sc.RecoveryMinApplyDelay != "5min" {
		t.Fatalf("standby_cluster = %+v", sc)
	}
	if ParseDynamic(map[string]any{"standby_cluster": map[string]any{"host": ""}}).IsStandbyCluster() {
		t.Fatal("empty host is not a standby cluster")
	}
}

func TestDynamicNeverPanicsOnGarbage(t *testing.T) {
	for _, raw := range []map[string]any{
		{"postgresql": "x", "slots": "y", "ignore_slots": map[string]any{}, "standby_cluster": []any{1}},
		{"ttl": nil, "loop_wait": map[string]any{}, "pause": []any{}, "synchronous_node_count": true},
	} {
		d := ParseDynamic(raw)
		if len(d.Problems) == 0 && d.Rejected == nil {
			t.Errorf("%v: expected problems", raw)
		}
	}
}
