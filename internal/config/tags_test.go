package config

import (
	"reflect"
	"testing"
)

func TestTags(t *testing.T) {
	cases := []struct {
		tags             map[string]any
		noFailover       bool
		failoverPriority int
		noSync           bool
		syncPriority     int
		published        map[string]any
	}{
		{map[string]any{}, false, 1, false, 1, map[string]any{}},
		{map[string]any{"nofailover": true}, true, 0, false, 1, map[string]any{"nofailover": true}},
		{map[string]any{"nofailover": false, "failover_priority": 3}, false, 3, false, 1,
			map[string]any{"nofailover": false, "failover_priority": 3}},
		{map[string]any{"failover_priority": 0}, true, 0, false, 1, map[string]any{"failover_priority": 0}},
		{map[string]any{"failover_priority": "5"}, false, 5, false, 1, map[string]any{"failover_priority": "5"}},
		{map[string]any{"nofailover": true, "failover_priority": 2}, true, 0, false, 1,
			map[string]any{"nofailover": true, "failover_priority": 2}},
		{map[string]any{"nosync": "false"}, false, 1, true, 0, map[string]any{"nosync": "false"}},
		{map[string]any{"sync_priority": -1, "nosync": false}, false, 1, false, -1,
			map[string]any{"sync_priority": -1, "nosync": false}},
		{map[string]any{"clonefrom": false, "noloadbalance": 0, "nostream": false, "custom": "x"}, false, 1, false, 1,
			map[string]any{"custom": "x"}},
	}
	for _, c := range cases {
		tg := TagsFrom(c.tags)
		if tg.NoFailover() != c.noFailover || tg.FailoverPriority() != c.failoverPriority ||
			tg.NoSync() != c.noSync || tg.SyncPriority() != c.syncPriority {
			t.Errorf("%v: nofailover %v prio %d nosync %v syncprio %d", c.tags, tg.NoFailover(),
				tg.FailoverPriority(), tg.NoSync(), tg.SyncPriority())
		}
		if got := tg.Published(); !reflect.DeepEqual(got, c.published) {
			t.Errorf("%v: published %v, want %v", c.tags, got, c.published)
		}
	}
	tg := TagsFrom(map[string]any{"nostream": "yes", "clonefrom": "x", "noloadbalance": 1, "replicatefrom": "m2"})
	if !tg.NoStream() || !tg.CloneFrom() || !tg.NoLoadBalance() || tg.ReplicateFrom() != "m2" {
		t.Fatal("bool tags / replicatefrom")
	}
	if TagsFrom(map[string]any{"nostream": "x"}).NoStream() {
		t.Fatal("nostream uses the boolean words, not truthiness")
	}
}

func TestTagWarnings(t *testing.T) {
	w := TagsFrom(map[string]any{"nofailover": true, "failover_priority": 1, "nosync": false, "sync_priority": 0}).Warnings()
	want := []string{
		"Conflicting configuration between nofailover: True and failover_priority: 1. Defaulting to nofailover: True",
		"Conflicting configuration between nosync: False and sync_priority: 0. Defaulting to nosync: False",
	}
	if !reflect.DeepEqual(w, want) {
		t.Fatalf("warnings = %q", w)
	}
	if w := TagsFrom(map[string]any{"nofailover": false, "failover_priority": 2}).Warnings(); len(w) != 0 {
		t.Fatalf("no conflict expected: %q", w)
	}
}
