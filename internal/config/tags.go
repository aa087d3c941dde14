package config

import "fmt"

// Tags is the `tags` section. Raw holds every tag as configured (custom tags
// included); the methods apply Patroni's rules for the predefined ones.
type Tags struct {
	Raw map[string]any
}

func (t *Tags) decodeCfg(path string, v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return &FieldError{path, v, "a dictionary"}
	}
	t.Raw = DeepCopyMap(m)
	return nil
}

// TagsFrom wraps a tags map (e.g. one read from a member key).
func TagsFrom(m map[string]any) Tags { return Tags{Raw: m} }

// boolTag: an explicit boolean tag wins; otherwise a priority <= 0 implies it.
func (t Tags) boolTag(boolName, prioName string) bool {
	if v, ok := t.Raw[boolName]; ok && v != nil {
		return Truthy(v)
	}
	p, ok := ParseInt(t.Raw[prioName], "")
	return ok && p <= 0
}

// priorityTag: 0 when the boolean tag is truthy, else the parsed priority (default 1).
func (t Tags) priorityTag(boolName, prioName string) int {
	if Truthy(t.Raw[boolName]) {
		return 0
	}
	if p, ok := ParseInt(t.Raw[prioName], ""); ok {
		return int(p)
	}
	return 1
}

// NoFailover reports whether this member must never become leader.
func (t Tags) NoFailover() bool { return t.boolTag("nofailover", "failover_priority") }

// FailoverPriority is 0 with nofailover, else failover_priority (default 1).
func (t Tags) FailoverPriority() int { return t.priorityTag("nofailover", "failover_priority") }

// NoSync reports whether this member must never be a synchronous standby.
func (t Tags) NoSync() bool { return t.boolTag("nosync", "sync_priority") }

// SyncPriority is 0 with nosync, else sync_priority (default 1).
func (t Tags) SyncPriority() int { return t.priorityTag("nosync", "sync_priority") }

// CloneFrom: preferred basebackup source.
func (t Tags) CloneFrom() bool { return Truthy(t.Raw["clonefrom"]) }

// NoLoadBalance: GET /replica answers 503.
func (t Tags) NoLoadBalance() bool { return Truthy(t.Raw["noloadbalance"]) }

// NoStream is parsed with the lenient boolean words (on/true/yes/1).
func (t Tags) NoStream() bool {
	b, ok := ParseBool(t.Raw["nostream"])
	return ok && b
}

// ReplicateFrom is the member to cascade from ("" when unset).
func (t Tags) ReplicateFrom() string {
	v, ok := t.Raw["replicatefrom"]
	if !ok || v == nil {
		return ""
	}
	return PyStr(v)
}

// Published is what goes into the member key and the REST API: custom tags,
// predefined boolean tags only when truthy, and nofailover/nosync also when
// the matching priority tag is present.
func (t Tags) Published() map[string]any {
	out := map[string]any{}
	for k, v := range t.Raw {
		switch k {
		case "clonefrom", "nofailover", "noloadbalance", "nosync", "nostream":
			_, hasFP := t.Raw["failover_priority"]
			_, hasSP := t.Raw["sync_priority"]
			if !Truthy(v) && !(k == "nofailover" && hasFP) && !(k == "nosync" && hasSP) {
				continue
			}
		}
		out[k] = DeepCopy(v)
	}
	return out
}

// Warnings returns Patroni's runtime warnings about contradictory tags.
func (t Tags) Warnings() []string {
	var out []string
	for _, p := range [][2]string{{"nofailover", "failover_priority"}, {"nosync", "sync_priority"}} {
		bv, ok := t.Raw[p[0]]
		if !ok {
			continue
		}
		prio, ok := ParseInt(t.Raw[p[1]], "")
		if ok && ((Truthy(bv) && prio > 0) || (!Truthy(bv) && prio <= 0)) {
			out = append(out, fmt.Sprintf("Conflicting configuration between %s: %s and %s: %d. Defaulting to %s: %s",
				p[0], PyStr(bv), p[1], prio, p[0], PyStr(bv)))
		}
	}
	return out
}
