package config

import (
	"errors"
	"fmt"
	"strings"
)

// errWrongValue is Patroni's assertion message for values out of range.
var errWrongValue = errors.New("Wrong value")

// intV is Patroni's IntValidator(min, max, base_unit, expected_type).
func intV(expected pyType, minimum, maximum *int64, baseUnit string) vnode {
	return fn{expected: expected, f: func(v any, _ *vctx) error {
		n, ok := ParseInt(v, baseUnit)
		if !ok || (minimum != nil && n < *minimum) || (maximum != nil && n > *maximum) {
			return errWrongValue
		}
		return nil
	}}
}

func i64(n int64) *int64 { return &n }

// intMinV / intRangeV: IntValidator without expected_type (strings accepted).
func intMinV(minimum int64) vnode { return intV("", i64(minimum), nil, "") }

func intRangeV(minimum, maximum int64) vnode { return intV("", i64(minimum), i64(maximum), "") }

// portV is IntValidator(max=65535, expected_type=int).
var portV = intV(tInt, nil, i64(65535), "")

// enumV is Patroni's EnumValidator.
func enumV(caseSensitive bool, values ...string) vnode {
	return fn{f: func(v any, _ *vctx) error {
		s, ok := v.(string)
		if ok {
			for _, a := range values {
				if a == s || (!caseSensitive && strings.EqualFold(a, s)) {
					return nil
				}
			}
		}
		return errWrongValue
	}}
}

var (
	strList     = listOf{elem: tStr}
	userAttrs   = dict{req("username", tStr), opt("password", tStr)}
	hostPortV   = fn{f: validateHostPort}
	hostsV      = anyOf{fn{expected: tStr, f: commaSeparatedHostPort}, listOf{elem: hostPortV}}
	connectV    = fn{expected: tStr, f: validateConnectAddress}
	listenV     = fn{expected: tStr, f: func(v any, c *vctx) error { return c.hostPort(v.(string), true, false) }}
	listenMulti = fn{expected: tStr, f: func(v any, c *vctx) error { return c.hostPort(v.(string), true, true) }}
)

// localSchema covers the keys Patroni checks before the DCS section.
func localSchema() vnode {
	return dict{
		req("name", fn{expected: tStr, f: validateName}),
		req("scope", tStr),
		opt("thread_pool_size", intV(tInt, i64(5), nil, "")),
		opt("thread_stack_size", fn{expected: tInt, f: func(v any, _ *vctx) error {
			n, ok := ParseInt(v, "B")
			if !ok || n < 65536 || n%65535 != 0 {
				return errWrongValue
			}
			return nil
		}}),
		opt("log", logSchema()),
		opt("ctl", dict{opt("insecure", tBool), opt("cacert", tStr), opt("certfile", tStr),
			opt("keyfile", tStr), opt("keyfile_password", tStr)}),
		req("restapi", restapiSchema()),
		opt("bootstrap", bootstrapSchema()),
	}
}

func logSchema() vnode {
	return dict{
		opt("type", enumV(true, "plain", "json")),
		opt("level", enumV(true, "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL")),
		opt("traceback_level", enumV(false, "DEBUG", "ERROR")),
		opt("format", fn{f: validateLogFormat}),
		opt("dateformat", tStr), opt("static_fields", tDict), opt("max_queue_size", tInt),
		opt("dir", tStr), opt("file_num", tInt), opt("file_size", tInt),
		opt("mode", intV(tInt, i64(0), i64(511), "")),
		opt("loggers", tDict), opt("deduplicate_heartbeat_logs", tBool),
	}
}

func restapiSchema() vnode {
	return dict{
		opt("thread_pool_size", intV(tInt, i64(5), nil, "")),
		req("listen", listenV),
		req("connect_address", connectV),
		opt("authentication", dict{req("username", tStr), req("password", tStr)}),
		opt("certfile", tStr), opt("keyfile", tStr), opt("keyfile_password", tStr),
		opt("cafile", tStr), opt("ciphers", tStr),
		opt("verify_client", enumV(true, "none", "optional", "required")),
		opt("allowlist", strList), opt("allowlist_include_members", tBool),
		opt("http_extra_headers", tDict), opt("https_extra_headers", tDict),
		opt("request_queue_size", intV(tInt, i64(0), i64(4096), "")),
		opt("server_tokens", enumV(false, "minimal", "productonly", "original")),
	}
}

func bootstrapSchema() vnode {
	params := dict{
		opt("max_connections", intRangeV(1, 262143)),
		opt("max_locks_per_transaction", intRangeV(10, 2147483647)),
		opt("max_prepared_transactions", intRangeV(0, 262143)),
		opt("max_replication_slots", intRangeV(0, 262143)),
		opt("max_wal_senders", intRangeV(0, 262143)),
		opt("max_worker_processes", intRangeV(0, 262143)),
	}
	standby := dict{
		oneKey(map[string]vnode{"host": tStr, "port": portV, "restore_command": tStr},
			"host", "port", "restore_command"),
		opt("primary_slot_name", tStr), opt("create_replica_methods", strList),
		opt("archive_cleanup_command", tStr), opt("recovery_min_apply_delay", tStr),
	}
	dcs := dict{
		opt("ttl", intMinV(20)), opt("loop_wait", intMinV(1)), opt("retry_timeout", intMinV(3)),
		opt("maximum_lag_on_failover", intMinV(0)), opt("maximum_lag_on_syncnode", intMinV(-1)),
		opt("member_slots_ttl", intV("", i64(0), nil, "s")),
		opt("postgresql", dict{
			opt("parameters", params), opt("use_pg_rewind", tBool), opt("pg_hba", strList),
			opt("pg_ident", strList), opt("pg_ctl_timeout", intMinV(0)), opt("use_slots", tBool),
		}),
		opt("primary_start_timeout", intMinV(0)), opt("primary_stop_timeout", intMinV(0)),
		opt("standby_cluster", standby),
		opt("synchronous_mode", tBool), opt("synchronous_mode_strict", tBool),
		opt("synchronous_node_count", intMinV(1)),
	}
	return dict{
		req("dcs", dcs),
		opt("initdb", listOf{elem: anyOf{tStr, tDict}}),
		opt("method", tStr),
	}
}

func dcsSchemas() map[string]vnode {
	etcd := dict{
		oneKey(map[string]vnode{"host": hostPortV, "hosts": hostsV, "srv": tStr, "srv_suffix": tStr,
			"url": tStr, "proxy": tStr}, "host", "hosts", "srv", "srv_suffix", "url", "proxy"),
		opt("protocol", tStr), opt("username", tStr), opt("password", tStr),
		opt("cacert", tStr), opt("cert", tStr), opt("key", tStr),
	}
	return map[string]vnode{
		"etcd3": etcd,
		"consul": dict{
			oneKey(map[string]vnode{"host": hostPortV, "url": tStr}, "host", "url"),
			opt("port", portV), opt("scheme", tStr), opt("token", tStr), opt("verify", tBool),
			opt("cacert", tStr), opt("cert", tStr), opt("key", tStr), opt("dc", tStr),
			opt("checks", strList), opt("register_service", tBool), opt("service_tags", strList),
			opt("service_check_interval", tStr), opt("service_check_tls_server_name", tStr),
			opt("consistency", enumV(true, "default", "consistent", "stale")),
		},
		"zookeeper": dict{
			req("hosts", hostsV),
			opt("use_ssl", tBool), opt("cacert", tStr), opt("cert", tStr), opt("key", tStr),
			opt("key_password", tStr), opt("verify", tBool), opt("set_acls", tDict), opt("auth_data", tDict),
		},
	}
}

// tailSchema covers the keys Patroni checks after the DCS section.
func tailSchema() vnode {
	binNames := dict{}
	for _, b := range []string{"pg_ctl", "initdb", "pg_controldata", "pg_basebackup", "postgres", "pg_isready", "pg_rewind"} {
		binNames = append(binNames, opt(b, fn{expected: tStr, f: validateBinaryName}))
	}
	return dict{
		opt("citus", dict{req("database", tStr), req("group", intV(tInt, i64(0), nil, ""))}),
		req("postgresql", dict{
			req("listen", listenMulti),
			req("connect_address", connectV),
			opt("proxy_address", connectV),
			req("authentication", dict{req("replication", userAttrs), req("superuser", userAttrs),
				opt("rewind", userAttrs)}),
			req("data_dir", fn{expected: tStr, f: validateDataDir}),
			opt("bin_name", binNames),
			optDefault("bin_dir", "", binDirV{}),
			opt("parameters", dict{opt("unix_socket_directories", tStr)}),
			opt("pg_hba", strList), opt("pg_ident", strList),
			opt("pg_ctl_timeout", intMinV(0)), opt("use_pg_rewind", tBool),
		}),
		opt("watchdog", dict{
			opt("mode", fn{f: validateWatchdogMode}), opt("device", tStr),
			opt("safety_margin", intV(tInt, i64(-1), nil, "")),
		}),
		opt("tags", dict{
			atMost(map[string]vnode{"nofailover": tBool, "failover_priority": intV(tInt, i64(0), nil, "")},
				"nofailover", "failover_priority"),
			opt("clonefrom", tBool), opt("noloadbalance", tBool), opt("replicatefrom", tStr),
			atMost(map[string]vnode{"nosync": tBool, "sync_priority": intV(tInt, i64(0), nil, "")},
				"nosync", "sync_priority"),
			opt("nostream", tBool),
		}),
	}
}

// syncStrictPlaceholder is the member name Patroni 4 reserves.
const syncStrictPlaceholder = "__patroni_strict_sync_replica_placeholder__"

func validateName(v any, _ *vctx) error {
	if v == syncStrictPlaceholder {
		return fmt.Errorf("Node 'name' can't be set to '%s'", syncStrictPlaceholder)
	}
	return nil
}

func validateLogFormat(v any, _ *vctx) error {
	switch x := v.(type) {
	case string:
		return nil
	case []any:
		if len(x) == 0 {
			return errors.New("should contain at least one item")
		}
		for _, e := range x {
			if !validLogField(e) {
				return errors.New("each item should be a string or a dictionary with string values")
			}
		}
		return nil
	}
	return errors.New("Should be a string or a list")
}

func validLogField(e any) bool {
	switch x := e.(type) {
	case string:
		return true
	case map[string]any:
		if len(x) != 1 {
			return false
		}
		for _, v := range x {
			_, ok := v.(string)
			return ok
		}
	}
	return false
}

func validateWatchdogMode(v any, _ *vctx) error {
	switch x := v.(type) {
	case bool:
		if !x {
			return nil
		}
	case string:
		if x == "off" || x == "automatic" || x == "required" {
			return nil
		}
	default:
		return errors.New("expected type is not a string")
	}
	return errWrongValue
}
