package config

import (
	"fmt"
	"strings"
)

// SyncMode is the parsed synchronous_mode.
type SyncMode string

// Synchronous replication modes.
const (
	SyncOff    SyncMode = "off"
	SyncOn     SyncMode = "on"
	SyncQuorum SyncMode = "quorum"
)

// Dynamic is the dynamic (global) configuration held in the DCS `config`
// key, parsed leniently with Patroni's defaults. Raw is the document itself
// (after the timing adjustments); keys not modelled here stay readable there.
type Dynamic struct {
	Raw map[string]any

	TTL, LoopWait, RetryTimeout int

	MaximumLagOnFailover int64 // bytes, 1048576
	MaximumLagOnSyncnode int64 // bytes, -1 = off
	MaxTimelinesHistory  int
	PrimaryStartTimeout  int // s, 300 (legacy master_start_timeout)
	PrimaryStopTimeout   int // s, 0 (legacy master_stop_timeout)
	PrimaryRaceBackoff   int // s, 0
	MemberSlotsTTL       int // s, 1800

	SynchronousMode       SyncMode
	SynchronousModeStrict bool
	SynchronousNodeCount  int // as configured (default 1); see SyncNodeCount
	FailsafeMode          bool
	CheckTimeline         bool
	Pause                 bool
	UseSlots              bool // postgresql.use_slots, true

	PermanentSlots map[string]Slot
	IgnoreSlots    []SlotMatcher
	StandbyCluster *StandbyCluster // nil when absent or not a map

	// Problems lists values that did not parse (their default is used) and
	// timing adjustments, in Patroni's words where it has some.
	Problems []string
	// Rejected is set when Patroni would refuse the whole document (a
	// non-integer ttl, loop_wait or retry_timeout): keep the previous one.
	Rejected error
}

// Slot is one permanent replication slot.
type Slot struct {
	Type        string // "physical", "logical", or "" when the entry is invalid
	Database    string
	Plugin      string
	ClusterType string // 4.x: "primary", "standby" or ""
	Raw         map[string]any
}

// SlotMatcher is one ignore_slots entry; empty attributes match anything.
type SlotMatcher struct {
	Name, Type, Database, Plugin string
}

// Matches reports whether a slot with these attributes is to be ignored.
func (m SlotMatcher) Matches(name, typ, database, plugin string) bool {
	return (m.Name == "" || m.Name == name) && (m.Type == "" || m.Type == typ) &&
		(m.Database == "" || m.Database == database) && (m.Plugin == "" || m.Plugin == plugin)
}

// StandbyCluster is the standby_cluster section.
type StandbyCluster struct {
	Host                  string
	Port                  string
	PrimarySlotName       string
	CreateReplicaMethods  []string
	RestoreCommand        string
	ArchiveCleanupCommand string
	RecoveryMinApplyDelay string
	Raw                   map[string]any
}

// DefaultDynamic is the dynamic configuration of an empty `config` key.
func DefaultDynamic() *Dynamic { return ParseDynamic(nil) }

// ParseDynamic parses a dynamic configuration document (the JSON of the DCS
// `config` key, or bootstrap.dcs). It never fails: unparsable values fall back
// to defaults and are listed in Problems. The timing rule is applied to a
// copy of raw.
func ParseDynamic(raw map[string]any) *Dynamic {
	d := &Dynamic{Raw: DeepCopyMap(raw)}
	if d.Raw == nil {
		d.Raw = map[string]any{}
	}
	warnings, err := AdjustTimeouts(d.Raw)
	d.Problems = append(d.Problems, warnings...)
	d.Rejected = err
	d.TTL, _ = pyInt(getOr(d.Raw, "ttl", 30))
	d.LoopWait, _ = pyInt(getOr(d.Raw, "loop_wait", 10))
	d.RetryTimeout, _ = pyInt(getOr(d.Raw, "retry_timeout", 10))
	if err != nil {
		d.TTL, d.LoopWait, d.RetryTimeout = 30, 10, 10
	}
	d.MaximumLagOnFailover = d.int64("maximum_lag_on_failover", 1048576, "")
	d.MaximumLagOnSyncnode = d.int64("maximum_lag_on_syncnode", -1, "")
	d.MaxTimelinesHistory = int(d.int64("max_timelines_history", 0, ""))
	d.PrimaryStartTimeout = d.legacyInt("primary_start_timeout", "master_start_timeout", 300)
	d.PrimaryStopTimeout = d.legacyInt("primary_stop_timeout", "master_stop_timeout", 0)
	d.PrimaryRaceBackoff = int(d.int64("primary_race_backoff", 0, ""))
	d.MemberSlotsTTL = int(d.int64("member_slots_ttl", 1800, "s"))
	d.SynchronousMode = d.syncMode()
	d.SynchronousModeStrict = d.bool("synchronous_mode_strict")
	d.SynchronousNodeCount = int(d.int64("synchronous_node_count", 1, ""))
	d.FailsafeMode = d.bool("failsafe_mode")
	d.CheckTimeline = d.bool("check_timeline")
	d.Pause = d.bool("pause")
	d.UseSlots = d.useSlots()
	d.PermanentSlots = d.permanentSlots()
	d.IgnoreSlots = d.ignoreSlots()
	d.StandbyCluster = d.standbyCluster()
	return d
}

func getOr(m map[string]any, key string, def any) any {
	if v, ok := m[key]; ok {
		return v
	}
	return def
}

func (d *Dynamic) problem(format string, args ...any) {
	d.Problems = append(d.Problems, fmt.Sprintf(format, args...))
}

// int64 is Patroni's global_config.get_int: parse_int or the default.
func (d *Dynamic) int64(key string, def int64, baseUnit string) int64 {
	v, ok := d.Raw[key]
	if !ok || v == nil {
		return def
	}
	n, ok := ParseInt(v, baseUnit)
	if !ok {
		d.problem("%s: %s is not an integer, using the default %d", key, pyRepr(v), def)
		return def
	}
	return n
}

func (d *Dynamic) legacyInt(key, legacy string, def int64) int {
	if _, ok := d.Raw[key]; ok {
		return int(d.int64(key, def, ""))
	}
	return int(d.int64(legacy, def, ""))
}

// bool is Patroni's check_mode: the lenient boolean words, anything else false.
func (d *Dynamic) bool(key string) bool {
	v, ok := d.Raw[key]
	if !ok || v == nil {
		return false
	}
	b, ok := ParseBool(v)
	if !ok {
		d.problem("%s: %s is not a boolean, using false", key, pyRepr(v))
	}
	return b
}

func (d *Dynamic) syncMode() SyncMode {
	v, ok := d.Raw["synchronous_mode"]
	if !ok || v == nil {
		return SyncOff
	}
	if strings.ToLower(PyStr(v)) == "quorum" {
		return SyncQuorum
	}
	if d.bool("synchronous_mode") {
		return SyncOn
	}
	return SyncOff
}

func (d *Dynamic) useSlots() bool {
	pg, isMap := d.Raw["postgresql"].(map[string]any)
	if !isMap {
		if d.Raw["postgresql"] != nil {
			d.problem("postgresql: %s is not a dictionary", pyRepr(d.Raw["postgresql"]))
		}
		return true
	}
	v, ok := pg["use_slots"]
	if !ok {
		return true
	}
	b, ok := ParseBool(v)
	if !ok {
		d.problem("postgresql.use_slots: %s is not a boolean, using false", pyRepr(v))
	}
	return b
}

// IsStandbyCluster: standby_cluster has a non-empty host, port or restore_command.
func (d *Dynamic) IsStandbyCluster() bool {
	sc, ok := d.Raw["standby_cluster"].(map[string]any)
	return ok && (Truthy(sc["host"]) || Truthy(sc["port"]) || Truthy(sc["restore_command"]))
}

// IsQuorumCommitMode: synchronous_mode is "quorum" (even in a standby cluster).
func (d *Dynamic) IsQuorumCommitMode() bool { return d.SynchronousMode == SyncQuorum }

// IsSynchronousMode: synchronous (or quorum) mode and not a standby cluster.
func (d *Dynamic) IsSynchronousMode() bool {
	return d.SynchronousMode != SyncOff && !d.IsStandbyCluster()
}

// MinSynchronousNodes is 1 in strict mode, else 0.
func (d *Dynamic) MinSynchronousNodes() int {
	if d.SynchronousModeStrict {
		return 1
	}
	return 0
}

// SyncNodeCount is max(synchronous_node_count, MinSynchronousNodes()).
func (d *Dynamic) SyncNodeCount() int {
	return max(d.SynchronousNodeCount, d.MinSynchronousNodes())
}
