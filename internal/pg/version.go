package pg

// Version-dependent behaviour, keyed by the PostgreSQL major version
// (10, 11, ... 17). Kept in one place so the differences are testable.

// conninfoMinMajor lists primary_conninfo keys that older servers reject.
var conninfoMinMajor = map[string]int{
	"target_session_attrs": 10,
	"gssencmode":           12,
	"channel_binding":      13,
	"sslpassword":          13,
	"sslcrldir":            14,
	"sslnegotiation":       17,
}

// RecoveryInConfig reports whether recovery settings live in postgresql.conf
// with standby.signal (PG ≥ 12) rather than in recovery.conf.
func RecoveryInConfig(major int) bool { return major >= 12 }

// WalKeepParam is the GUC that keeps WAL for replicas.
func WalKeepParam(major int) string {
	if major >= 13 {
		return "wal_keep_size"
	}
	return "wal_keep_segments"
}

// PromoteTriggerParam is the version-appropriate name of the trigger-file setting.
func PromoteTriggerParam(major int) string {
	if major >= 12 {
		return "promote_trigger_file"
	}
	return "trigger_file"
}

// RecoveryParamNeedsRestart reports whether changing a recovery setting needs
// a restart rather than a reload.
func RecoveryParamNeedsRestart(major int, name string) bool {
	switch {
	case major < 12:
		return true
	case major >= 14:
		return false
	case name == "restore_command":
		return true
	default:
		return major < 13 && (name == "primary_conninfo" || name == "primary_slot_name")
	}
}

// HasPgPromote reports whether SELECT pg_promote() exists (PG ≥ 12).
func HasPgPromote(major int) bool { return major >= 12 }

// HasRewindUser reports whether a dedicated non-superuser can run pg_rewind (PG ≥ 11).
func HasRewindUser(major int) bool { return major >= 11 }

// CanAdvanceSlots reports whether pg_replication_slot_advance exists (PG ≥ 11).
func CanAdvanceSlots(major int) bool { return major >= 11 }

// RewindFlags returns the extra pg_rewind flags Patroni passes: with a
// restore_command, --restore-target-wal on PG ≥ 15, or on PG 13/14 when the
// configuration lives in PGDATA; --config-file on PG ≥ 15 when it does not.
func RewindFlags(major int, haveRestoreCommand, configInDataDir bool, postgresqlConf string) []string {
	canRestore := haveRestoreCommand && (major >= 15 || (major >= 13 && configInDataDir))
	if !canRestore {
		return nil
	}
	flags := []string{"--restore-target-wal"}
	if major >= 15 && !configInDataDir {
		flags = append(flags, "--config-file="+postgresqlConf)
	}
	return flags
}

// ReplicaSafetyParams are the settings a standby must not run below the
// primary's values recorded in pg_control, with the controldata label.
func ReplicaSafetyParams(major int) map[string]string {
	m := map[string]string{
		"max_connections":           "max_connections setting",
		"max_prepared_transactions": "max_prepared_xacts setting",
		"max_locks_per_transaction": "max_locks_per_xact setting",
		"max_worker_processes":      "max_worker_processes setting",
	}
	if major >= 12 {
		m["max_wal_senders"] = "max_wal_senders setting"
	}
	return m
}
