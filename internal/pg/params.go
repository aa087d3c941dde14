package pg

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// cmdlineOption is a GUC always passed on the postgres command line.
type cmdlineOption struct {
	name     string
	def      string // "" → no default (listen_addresses, port, cluster_name)
	minMajor int
}

// CmdlineOptions in the order Patroni passes them. wal_keep_* are in the
// table for defaults but never go on the command line.
var cmdlineOptions = []cmdlineOption{
	{"listen_addresses", "", 9},
	{"port", "", 9},
	{"cluster_name", "", 9},
	{"wal_level", "hot_standby", 9},
	{"hot_standby", "on", 9},
	{"max_connections", "100", 9},
	{"max_wal_senders", "10", 9},
	{"wal_keep_segments", "8", 9},
	{"wal_keep_size", "128MB", 13},
	{"max_prepared_transactions", "0", 9},
	{"max_locks_per_transaction", "64", 9},
	{"track_commit_timestamp", "off", 9},
	{"max_replication_slots", "10", 9},
	{"max_worker_processes", "8", 9},
	{"wal_log_hints", "on", 9},
}

// IsCmdlineOption reports whether a GUC is passed on the command line.
func IsCmdlineOption(name string) bool {
	name = strings.ToLower(name)
	for _, o := range cmdlineOptions {
		if o.name == name {
			return name != "wal_keep_segments" && name != "wal_keep_size"
		}
	}
	return false
}

// recoveryParams are the names Patroni treats as recovery settings.
var recoveryParams = map[string]bool{
	"archive_cleanup_command": true, "pause_at_recovery_target": true, "primary_conninfo": true,
	"primary_slot_name": true, "promote_trigger_file": true, "recovery_end_command": true,
	"recovery_min_apply_delay": true, "recovery_target": true, "recovery_target_action": true,
	"recovery_target_inclusive": true, "recovery_target_lsn": true, "recovery_target_name": true,
	"recovery_target_time": true, "recovery_target_timeline": true, "recovery_target_xid": true,
	"restore_command": true, "standby_mode": true, "trigger_file": true,
}

// IsRecoveryParam reports whether name is a recovery setting.
func IsRecoveryParam(name string) bool { return recoveryParams[strings.ToLower(name)] }

// ServerParams is the result of assembling the GUCs for one major version.
type ServerParams struct {
	Params       map[string]string // lower-case names; written to postgresql.conf
	RecoveryConf map[string]string // recovery_conf after moving recovery GUCs out of Params
}

// BuildServerParams applies Patroni's rules (config.md §6) to the effective
// parameters: listen → listen_addresses/port, cluster_name = scope, defaults
// of the command-line options, wal_level and wal_keep_* conversions per
// version, hba_file/ident_file relative to configDir, recovery GUCs moved to
// recovery_conf with the trigger-file name fixed for the version.
func BuildServerParams(o *Options, major int) (ServerParams, error) {
	p := map[string]string{}
	for k, v := range o.Parameters {
		p[strings.ToLower(k)] = v
	}
	host, port, err := SplitHostPort(o.Listen, 5432)
	if err != nil {
		return ServerParams{}, fmt.Errorf("postgresql.listen: %w", err)
	}
	p["listen_addresses"], p["port"], p["cluster_name"] = host, strconv.Itoa(port), o.Scope
	for _, c := range cmdlineOptions {
		if _, ok := p[c.name]; !ok && c.def != "" && !strings.HasPrefix(c.name, "wal_keep") {
			p[c.name] = c.def
		}
	}
	if p["wal_level"] == "hot_standby" {
		p["wal_level"] = "replica"
	}
	convertWalKeep(p, major)
	for _, k := range []string{"hba_file", "ident_file"} {
		if v, ok := p[k]; ok && v != "" && !filepath.IsAbs(v) {
			p[k] = filepath.Join(o.configDir(), v)
		}
	}
	rc := map[string]string{}
	moved := false
	for k, v := range p {
		if recoveryParams[k] {
			rc[k] = v
			delete(p, k)
			moved = true
		}
	}
	if !moved {
		for k, v := range o.RecoveryConf {
			rc[strings.ToLower(k)] = v
		}
	}
	fixTriggerName(rc, major)
	return ServerParams{Params: p, RecoveryConf: rc}, nil
}

func convertWalKeep(p map[string]string, major int) {
	if major >= 13 {
		segs := p["wal_keep_segments"]
		delete(p, "wal_keep_segments")
		if _, ok := p["wal_keep_size"]; !ok {
			n, err := strconv.Atoi(strings.TrimSpace(segs))
			if segs == "" || err != nil {
				n = 8
			}
			p["wal_keep_size"] = strconv.Itoa(n*16) + "MB"
		}
		return
	}
	size := p["wal_keep_size"]
	delete(p, "wal_keep_size")
	if _, ok := p["wal_keep_segments"]; !ok {
		mb, ok := parseMB(size)
		if size == "" || !ok {
			mb = 128
		}
		p["wal_keep_segments"] = strconv.Itoa((mb + 8) / 16)
	}
}

// parseMB parses a memory setting into megabytes (unit-less values are MB).
func parseMB(v string) (int, bool) {
	v = strings.TrimSpace(v)
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9') {
		i++
	}
	n, err := strconv.Atoi(v[:i])
	if err != nil {
		return 0, false
	}
	switch strings.ToLower(strings.TrimSpace(v[i:])) {
	case "", "mb":
		return n, true
	case "kb":
		return n / 1024, true
	case "gb":
		return n * 1024, true
	case "tb":
		return n * 1024 * 1024, true
	}
	return 0, false
}

func fixTriggerName(rc map[string]string, major int) {
	good := PromoteTriggerParam(major)
	wrong := "trigger_file"
	if good == "trigger_file" {
		wrong = "promote_trigger_file"
	}
	if v, ok := rc[wrong]; ok {
		delete(rc, wrong)
		if _, exists := rc[good]; !exists && v != "" {
			rc[good] = v
		}
	}
}

// CmdlineArgs returns the `--name=value` arguments for the postgres command
// line, in Patroni's order, only for options present and supported.
func CmdlineArgs(params map[string]string, major int) []string {
	var args []string
	for _, c := range cmdlineOptions {
		if c.name == "wal_keep_segments" || c.name == "wal_keep_size" || major < c.minMajor {
			continue
		}
		if v, ok := params[c.name]; ok {
			args = append(args, "--"+c.name+"="+v)
		}
	}
	return args
}
