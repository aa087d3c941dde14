package config

import (
	"fmt"
	"strconv"
	"strings"
)

// CmdlineOption is one PostgreSQL setting Patroni always passes on the
// postgres command line (highest precedence); its value comes only from the
// dynamic configuration and is validated there.
type CmdlineOption struct {
	Name       string
	Default    any // nil: no default (set by Patroni from listen/scope)
	MinVersion int // server_version_num style, e.g. 90400
	Valid      func(v any) bool
	IsInt      bool // validated values are normalised to integers
}

// CmdlineOptions is Patroni's CMDLINE_OPTIONS table, in command-line order.
var CmdlineOptions = []CmdlineOption{
	{"listen_addresses", nil, 90100, never, false},
	{"port", nil, 90100, never, false},
	{"cluster_name", nil, 90500, never, false},
	{"wal_level", "hot_standby", 90100, oneOf("hot_standby", "replica", "logical"), false},
	{"hot_standby", "on", 90100, isTrue, false},
	{"max_connections", 100, 90100, intMin(25, ""), true},
	{"max_wal_senders", 10, 90100, intMin(3, ""), true},
	{"wal_keep_segments", 8, 90100, intMin(1, ""), true},
	{"wal_keep_size", "128MB", 130000, intMin(16, "MB"), true},
	{"max_prepared_transactions", 0, 90100, intMin(0, ""), true},
	{"max_locks_per_transaction", 64, 90100, intMin(32, ""), true},
	{"track_commit_timestamp", "off", 90500, isBool, false},
	{"max_replication_slots", 10, 90400, intMin(4, ""), true},
	{"max_worker_processes", 8, 90400, intMin(2, ""), true},
	{"wal_log_hints", "on", 90400, isBool, false},
}

func never(any) bool { return false }

func isTrue(v any) bool { b, ok := ParseBool(v); return ok && b }

func isBool(v any) bool { _, ok := ParseBool(v); return ok }

func oneOf(values ...string) func(any) bool {
	return func(v any) bool {
		s, ok := v.(string)
		if !ok {
			return false
		}
		for _, a := range values {
			if strings.EqualFold(a, s) {
				return true
			}
		}
		return false
	}
}

func intMin(minimum int64, baseUnit string) func(any) bool {
	return func(v any) bool {
		n, ok := ParseInt(v, baseUnit)
		return ok && n >= minimum
	}
}

// LookupCmdlineOption finds a CMDLINE option by name (case-insensitive).
func LookupCmdlineOption(name string) (CmdlineOption, bool) {
	for _, o := range CmdlineOptions {
		if strings.EqualFold(o.Name, name) {
			return o, true
		}
	}
	return CmdlineOption{}, false
}

// defaultParameters are the CMDLINE defaults that seed the effective
// postgresql.parameters (without wal_keep_*).
func defaultParameters() map[string]any {
	out := map[string]any{}
	for _, o := range CmdlineOptions {
		if o.Default != nil && o.Name != "wal_keep_segments" && o.Name != "wal_keep_size" {
			out[o.Name] = o.Default
		}
	}
	return out
}

// processParameters filters one postgresql.parameters map: local CMDLINE
// values are dropped; dynamic ones are validated (invalid → warning, the
// default stays) and integers normalised.
func processParameters(params any, local bool, warn func(string)) (map[string]any, error) {
	if params == nil {
		return nil, nil
	}
	m, ok := params.(map[string]any)
	if !ok {
		if !Truthy(params) {
			return nil, nil
		}
		return nil, fmt.Errorf("postgresql.parameters is not a dictionary")
	}
	out := map[string]any{}
	for _, name := range sortedKeys(m) {
		v := m[name]
		opt, isCmdline := LookupCmdlineOption(name)
		switch {
		case !isCmdline:
			out[name] = DeepCopy(v)
		case local:
		case opt.Valid(v):
			if n, ok := ParseInt(v, ""); opt.IsInt && ok {
				out[opt.Name] = int(n)
			} else {
				out[opt.Name] = v
			}
		default:
			warn(fmt.Sprintf("postgresql parameter %s=%s failed validation, defaulting to %s",
				name, PyStr(v), PyStr(opt.Default)))
		}
	}
	return out, nil
}

// setParams merges src into dst with case-insensitive names (the newest
// spelling wins), like Patroni's CaseInsensitiveDict.
func setParams(dst, src map[string]any) {
	for _, k := range sortedKeys(src) {
		for old := range dst {
			if old != k && strings.EqualFold(old, k) {
				delete(dst, old)
			}
		}
		dst[k] = src[k]
	}
}

// getParam looks a parameter up case-insensitively.
func getParam(params map[string]any, name string) (any, bool) {
	if v, ok := params[name]; ok {
		return v, true
	}
	for k, v := range params {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

func popParam(params map[string]any, name string) (any, bool) {
	for k, v := range params {
		if strings.EqualFold(k, name) {
			delete(params, k)
			return v, true
		}
	}
	return nil, false
}

// SplitHostPort is Patroni's split_host_port: the part after the last ':' is
// the port (default when absent); brackets around IPv6 hosts are removed.
func SplitHostPort(value string, defaultPort int) (string, int, error) {
	host, port := value, strconv.Itoa(defaultPort)
	if i := strings.LastIndex(value, ":"); i >= 0 {
		host, port = value[:i], value[i+1:]
	}
	if strings.Contains(host, ":") {
		parts := strings.Split(host, ",")
		for i, p := range parts {
			parts[i] = strings.Trim(strings.TrimSpace(p), "[]")
		}
		host = strings.Join(parts, ",")
	}
	n, err := pyInt(port)
	if err != nil {
		return "", 0, fmt.Errorf("invalid port in %q", value)
	}
	return host, n, nil
}
