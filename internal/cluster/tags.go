package cluster

// Tags are a member's tags as published in its member key (or configured locally).
// The accessors apply Patroni's interpretation rules (config.md §3.10).
type Tags map[string]any

// NoFailover: the member never becomes leader. An explicit nofailover wins; otherwise a
// failover_priority of 0 or less means the same.
func (t Tags) NoFailover() bool {
	if v, ok := t["nofailover"]; ok && v != nil {
		return truthy(v)
	}
	if p, ok := asInt(t["failover_priority"]); ok {
		return p <= 0
	}
	return false
}

// FailoverPriority is the effective priority: 0 when nofailover is set, else the
// configured integer, 1 by default.
func (t Tags) FailoverPriority() int64 {
	if v, ok := t["nofailover"]; ok && v != nil && truthy(v) {
		return 0
	}
	if p, ok := asInt(t["failover_priority"]); ok {
		return p
	}
	return 1
}

// SyncPriority (4.x) is the priority for synchronous standby selection; <= 0 means nosync.
func (t Tags) SyncPriority() int64 {
	if t.boolTag("nosync") {
		return 0
	}
	if p, ok := asInt(t["sync_priority"]); ok {
		return p
	}
	return 1
}

// CloneFrom marks a preferred basebackup source.
func (t Tags) CloneFrom() bool { return t.boolTag("clonefrom") }

// NoLoadBalance makes GET /replica answer 503.
func (t Tags) NoLoadBalance() bool { return t.boolTag("noloadbalance") }

// NoSync: never chosen as a synchronous standby. An explicit nosync wins; otherwise a
// sync_priority of 0 or less means the same (as NoFailover does with failover_priority).
func (t Tags) NoSync() bool {
	if v, ok := t["nosync"]; ok && v != nil {
		return truthy(v)
	}
	return t.syncPriorityDisabled()
}

func (t Tags) syncPriorityDisabled() bool {
	p, ok := asInt(t["sync_priority"])
	return ok && p <= 0
}

// NoStream: replicate from the archive only (no streaming, no slot). Parsed as a lenient
// boolean string, unlike the other boolean tags.
func (t Tags) NoStream() bool {
	b, _ := ParseBool(t["nostream"])
	return b
}

// ReplicateFrom names the member to cascade from ("" for the leader).
func (t Tags) ReplicateFrom() string {
	s, _ := asString(t["replicatefrom"])
	return s
}

func (t Tags) boolTag(name string) bool { return truthy(t[name]) }
