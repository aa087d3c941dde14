package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// permanentSlots: the first non-empty of permanent_replication_slots,
// permanent_slots, slots. An empty entry means a physical slot.
func (d *Dynamic) permanentSlots() map[string]Slot {
	var src map[string]any
	for _, key := range []string{"permanent_replication_slots", "permanent_slots", "slots"} {
		v := d.Raw[key]
		if !Truthy(v) {
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			d.problem("%s: %s is not a dictionary", key, pyRepr(v))
			return map[string]Slot{}
		}
		src = m
		break
	}
	out := make(map[string]Slot, len(src))
	for name, v := range src {
		out[name] = parseSlot(v)
	}
	return out
}

func parseSlot(v any) Slot {
	if !Truthy(v) {
		return Slot{Type: "physical", Raw: map[string]any{}}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return Slot{}
	}
	s := Slot{Raw: DeepCopyMap(m), ClusterType: strOf(m["cluster_type"])}
	typ := strOf(getOr(m, "type", "logical"))
	if typ == "logical" && Truthy(m["database"]) && Truthy(m["plugin"]) {
		s.Type, s.Database, s.Plugin = "logical", PyStr(m["database"]), PyStr(m["plugin"])
	} else if strOf(getOr(m, "type", "physical")) == "physical" {
		s.Type = "physical"
	}
	return s
}

func strOf(v any) string {
	if v == nil {
		return ""
	}
	return PyStr(v)
}

func (d *Dynamic) ignoreSlots() []SlotMatcher {
	v := d.Raw["ignore_slots"]
	if !Truthy(v) {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		d.problem("ignore_slots: %s is not a list", pyRepr(v))
		return nil
	}
	var out []SlotMatcher
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			d.problem("ignore_slots: %s is not a dictionary", pyRepr(e))
			continue
		}
		out = append(out, SlotMatcher{Name: strOf(m["name"]), Type: strOf(m["type"]),
			Database: strOf(m["database"]), Plugin: strOf(m["plugin"])})
	}
	return out
}

func (d *Dynamic) standbyCluster() *StandbyCluster {
	v := d.Raw["standby_cluster"]
	m, ok := v.(map[string]any)
	if !ok {
		if v != nil {
			d.problem("standby_cluster: %s is not a dictionary", pyRepr(v))
		}
		return nil
	}
	sc := &StandbyCluster{Raw: DeepCopyMap(m), Host: strOf(m["host"]), Port: strOf(m["port"]),
		PrimarySlotName: strOf(m["primary_slot_name"]), RestoreCommand: strOf(m["restore_command"]),
		ArchiveCleanupCommand: strOf(m["archive_cleanup_command"]),
		RecoveryMinApplyDelay: strOf(m["recovery_min_apply_delay"])}
	switch x := m["create_replica_methods"].(type) {
	case []any:
		for _, e := range x {
			sc.CreateReplicaMethods = append(sc.CreateReplicaMethods, strOf(e))
		}
	case string:
		if x != "" {
			sc.CreateReplicaMethods = []string{x}
		}
	}
	return sc
}

// AdjustTimeouts applies Patroni's timing rule to a dynamic configuration in
// place: loop_wait >= 1, retry_timeout >= 3, ttl >= 20, and
// loop_wait + 2*retry_timeout <= ttl (loop_wait shrinks first). It returns
// Patroni's warnings, or an error when a value is not an integer (Patroni
// then rejects the whole document).
func AdjustTimeouts(m map[string]any) ([]string, error) {
	var warnings []string
	get := func(key string, def, minimum int) (int, error) {
		v, err := pyInt(getOr(m, key, def))
		if err != nil {
			return 0, fmt.Errorf("%s: %w", key, err)
		}
		if v < minimum {
			warnings = append(warnings, fmt.Sprintf("%s=%d can't be smaller than %d, adjusting...", key, v, minimum))
			v = minimum
			m[key] = v
		}
		return v, nil
	}
	loopWait, err := get("loop_wait", 10, 1)
	if err != nil {
		return warnings, err
	}
	retry, err := get("retry_timeout", 10, 3)
	if err != nil {
		return warnings, err
	}
	ttl, err := get("ttl", 30, 20)
	if err != nil {
		return warnings, err
	}
	if 1+2*retry > ttl {
		m["loop_wait"], m["retry_timeout"] = 1, (ttl-1)/2
		warnings = append(warnings, fmt.Sprintf(`Violated the rule "loop_wait + 2*retry_timeout <= ttl", where ttl=%d. `+
			"Adjusting loop_wait from %d to 1 and retry_timeout from %d to %d", ttl, loopWait, retry, (ttl-1)/2))
	} else if loopWait+2*retry > ttl {
		m["loop_wait"] = ttl - 2*retry
		warnings = append(warnings, fmt.Sprintf(`Violated the rule "loop_wait + 2*retry_timeout <= ttl", where ttl=%d and `+
			"retry_timeout=%d. Adjusting loop_wait from %d to %d", ttl, retry, loopWait, ttl-2*retry))
	}
	return warnings, nil
}

// pyInt is Python's int(): integers, floats truncated, booleans as 0/1,
// strings of decimal digits (surrounding whitespace allowed).
func pyInt(v any) (int, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return int(n), nil
		}
		f, err := x.Float64()
		if err != nil {
			return 0, err
		}
		return pyInt(f)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1<<62 {
			return 0, fmt.Errorf("cannot convert %s to integer", PyStr(v))
		}
		return int(x), nil
	case string:
		n, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(x), "_", ""), 10, 64)
		if err != nil || strings.HasPrefix(strings.TrimSpace(x), "_") {
			return 0, fmt.Errorf("invalid literal for int(): %s", pyRepr(x))
		}
		return int(n), nil
	}
	if s := PyStr(v); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return int(n), nil
		}
	}
	return 0, errors.New("not an integer: " + pyRepr(v))
}
