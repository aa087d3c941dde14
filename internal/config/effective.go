package config

import (
	"fmt"
	"path/filepath"
)

// standbyClusterKeys are the standby_cluster keys taken from the DCS.
var standbyClusterKeys = []string{"create_replica_methods", "host", "port", "primary_slot_name",
	"restore_command", "archive_cleanup_command", "recovery_min_apply_delay"}

// localOnlyPostgresql are postgresql keys ignored when they come from the DCS.
var localOnlyPostgresql = []string{"connect_address", "proxy_address", "listen", "config_dir",
	"data_dir", "pgpass", "authentication"}

// Effective is the configuration a node runs with: defaults ← dynamic ←
// local, assembled with Patroni's exact precedence rules.
type Effective struct {
	// Raw is the effective document (ttl, loop_wait, retry_timeout,
	// standby_cluster, postgresql, and every local section).
	Raw                         map[string]any
	TTL, LoopWait, RetryTimeout int
	// Parameters is the effective postgresql.parameters (CMDLINE names lower-case).
	Parameters map[string]any
	// Warnings are Patroni's warnings (CMDLINE parameters that failed validation).
	Warnings []string
}

// BuildEffective assembles the effective configuration from a dynamic
// document (nil for none) and the raw local configuration. An error means
// Patroni would reject the dynamic document (keep the previous effective
// configuration).
func BuildEffective(dynamic, local map[string]any) (*Effective, error) {
	e := &Effective{}
	dynamic = DeepCopyMap(dynamic)
	if dynamic != nil {
		w, err := AdjustTimeouts(dynamic)
		if err != nil {
			return nil, err
		}
		e.Warnings = append(e.Warnings, w...)
	}
	warn := func(s string) { e.Warnings = append(e.Warnings, s) }
	cfg, err := applyDynamic(dynamic, warn)
	if err != nil {
		return nil, err
	}
	if err := applyLocal(cfg, local); err != nil {
		return nil, err
	}
	finishEffective(cfg)
	e.Raw = cfg
	e.TTL, _ = pyInt(cfg["ttl"])
	e.LoopWait, _ = pyInt(cfg["loop_wait"])
	e.RetryTimeout, _ = pyInt(cfg["retry_timeout"])
	e.Parameters = section(section(cfg, "postgresql"), "parameters")
	return e, nil
}

func defaultEffective() map[string]any {
	sc := map[string]any{}
	for _, k := range standbyClusterKeys {
		sc[k] = ""
	}
	return map[string]any{
		"ttl": 30, "loop_wait": 10, "retry_timeout": 10,
		"standby_cluster": sc,
		"postgresql":      map[string]any{"use_slots": true, "parameters": defaultParameters()},
	}
}

func applyDynamic(dynamic map[string]any, warn func(string)) (map[string]any, error) {
	cfg := defaultEffective()
	pg := section(cfg, "postgresql")
	for _, name := range sortedKeys(dynamic) {
		value := dynamic[name]
		switch name {
		case "postgresql":
			dpg, err := asMap("postgresql", value)
			if err != nil {
				return nil, err
			}
			for _, k := range sortedKeys(dpg) {
				if k == "parameters" {
					p, err := processParameters(dpg[k], false, warn)
					if err != nil {
						return nil, err
					}
					setParams(section(pg, "parameters"), p)
				} else if !contains(localOnlyPostgresql, k) {
					pg[k] = DeepCopy(dpg[k])
				}
			}
		case "standby_cluster":
			dsc, err := asMap("standby_cluster", value)
			if err != nil {
				return nil, err
			}
			for k, v := range dsc {
				if contains(standbyClusterKeys, k) {
					section(cfg, "standby_cluster")[k] = DeepCopy(v)
				}
			}
		case "ttl", "loop_wait", "retry_timeout":
			n, err := pyInt(value)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			cfg[name] = n
		}
	}
	return cfg, nil
}

// asMap accepts a map or a falsy value (treated as empty).
func asMap(name string, v any) (map[string]any, error) {
	if m, ok := v.(map[string]any); ok {
		return m, nil
	}
	if !Truthy(v) {
		return nil, nil
	}
	return nil, fmt.Errorf("%s: %s is not a dictionary", name, pyRepr(v))
}

func applyLocal(cfg, local map[string]any) error {
	pg := section(cfg, "postgresql")
	for _, name := range sortedKeys(local) {
		value := local[name]
		switch {
		case name == "citus":
			if c, ok := value.(map[string]any); ok {
				_, intGroup := c["group"].(int)
				_, strDB := c["database"].(string)
				if intGroup && strDB {
					cfg[name] = DeepCopy(c)
				}
			}
		case name == "postgresql":
			lpg, err := asMap("postgresql", value)
			if err != nil {
				return err
			}
			for _, k := range sortedKeys(lpg) {
				if k == "parameters" {
					p, err := processParameters(lpg[k], true, func(string) {})
					if err != nil {
						return err
					}
					setParams(section(pg, "parameters"), p)
				} else if k != "use_slots" {
					pg[k] = DeepCopy(lpg[k])
				}
			}
		default:
			if _, exists := cfg[name]; exists && name != "watchdog" {
				continue
			}
			if Truthy(value) {
				cfg[name] = DeepCopy(value)
			} else {
				cfg[name] = map[string]any{}
			}
		}
	}
	return nil
}

// finishEffective applies Patroni's post-merge rules: auth strings, legacy
// sections, the authentication filter, name/scope copies.
func finishEffective(cfg map[string]any) {
	for _, s := range []string{"ctl", "restapi"} {
		if auth := section(section(cfg, s), "authentication"); auth != nil {
			section(cfg, s)["auth"] = PyStr(getOr(auth, "username", "")) + ":" + PyStr(getOr(auth, "password", ""))
		}
	}
	if zk := section(cfg, "zookeeper"); zk != nil {
		if ex, ok := zk["exhibitor"]; ok {
			cfg["exhibitor"] = ex
			delete(cfg, "zookeeper")
		}
	}
	pg := section(cfg, "postgresql")
	legacy := legacyLocal(map[string]any{"postgresql": pg})
	pg = section(legacy, "postgresql")
	if auth, ok := pg["authentication"].(map[string]any); ok {
		for user, v := range auth {
			if m, ok := v.(map[string]any); ok {
				filtered := map[string]any{}
				for _, p := range authParams {
					if pv, ok := m[p]; ok {
						filtered[p] = pv
					}
				}
				auth[user] = filtered
			}
		}
	}
	cfg["postgresql"] = pg
	if _, ok := cfg["name"]; !ok {
		if n, ok := pg["name"]; ok {
			cfg["name"] = n
		}
	}
	if _, ok := cfg["citus"]; ok {
		dcs := ensureSection(ensureSection(cfg, "bootstrap"), "dcs")
		if _, set := dcs["synchronous_mode"]; !set {
			dcs["synchronous_mode"] = "quorum"
		}
	}
	for _, k := range []string{"name", "scope", "retry_timeout", "citus"} {
		if v, ok := cfg[k]; ok {
			pg[k] = v
		}
	}
}

// Effective assembles this node's effective configuration with a dynamic
// configuration (nil: none yet).
func (c *Config) Effective(d *Dynamic) (*Effective, error) {
	var raw map[string]any
	if d != nil {
		raw = d.Raw
	}
	return BuildEffective(raw, c.Raw)
}

// Postgresql decodes the effective postgresql section into the typed form.
func (e *Effective) Postgresql() (Postgresql, error) {
	c, err := e.Config()
	if err != nil {
		return Postgresql{}, err
	}
	return c.Postgresql, nil
}

// Config decodes the whole effective configuration into a Config.
func (e *Effective) Config() (*Config, error) { return FromMap(e.Raw) }

// ServerParameters computes the PostgreSQL settings Patroni writes for a
// server of majorVersion (server_version_num style, e.g. 150000; 0 =
// unknown, nothing filtered): the effective parameters plus cluster_name,
// listen_addresses and port, wal_level and wal_keep_* adapted to the version,
// hba_file/ident_file made absolute under config_dir. synchronous_standby_names
// is left to the caller (it depends on the replication state).
func (e *Effective) ServerParameters(majorVersion int) (map[string]any, error) {
	pg := section(e.Raw, "postgresql")
	params := map[string]any{}
	setParams(params, DeepCopyMap(e.Parameters))
	listen, _ := pg["listen"].(string)
	host, port, err := SplitHostPort(listen, 5432)
	if err != nil {
		return nil, fmt.Errorf("postgresql.listen: %w", err)
	}
	setParams(params, map[string]any{"cluster_name": strOf(e.Raw["scope"]),
		"listen_addresses": host, "port": fmt.Sprint(port)})
	adaptVersionParams(params, majorVersion)
	out := map[string]any{}
	for k, v := range params {
		if opt, ok := LookupCmdlineOption(k); ok && majorVersion != 0 && majorVersion < opt.MinVersion {
			continue
		}
		out[k] = v
	}
	cfgDir := configDirOf(pg)
	for _, k := range []string{"hba_file", "ident_file"} {
		if v, ok := popParam(out, k); ok {
			p := PyStr(v)
			if !filepath.IsAbs(p) {
				p = filepath.Join(cfgDir, p)
			}
			out[k] = p
		}
	}
	return out, nil
}

func configDirOf(pg map[string]any) string {
	d := strOf(pg["config_dir"])
	if d == "" {
		d = strOf(pg["data_dir"])
	}
	if abs, err := filepath.Abs(d); err == nil {
		return abs
	}
	return d
}

// adaptVersionParams renames wal_level for the version and converts
// wal_keep_segments <-> wal_keep_size assuming 16MB segments.
func adaptVersionParams(params map[string]any, v int) {
	if wl, ok := getParam(params, "wal_level"); ok {
		if v >= 90600 && PyStr(wl) == "hot_standby" {
			setParams(params, map[string]any{"wal_level": "replica"})
		} else if v < 90600 && PyStr(wl) == "replica" {
			setParams(params, map[string]any{"wal_level": "hot_standby"})
		}
	}
	if v >= 130000 {
		segs, ok := popParam(params, "wal_keep_segments")
		if !ok {
			segs = 8
		}
		if _, has := getParam(params, "wal_keep_size"); !has {
			n, _ := pyInt(segs)
			params["wal_keep_size"] = fmt.Sprintf("%dMB", n*16)
		}
	} else if v != 0 {
		size, ok := popParam(params, "wal_keep_size")
		if !ok {
			size = "128MB"
		}
		if _, has := getParam(params, "wal_keep_segments"); !has {
			mb, _ := ParseInt(size, "MB")
			params["wal_keep_segments"] = int((mb + 8) / 16)
		}
	}
}

// CmdlineArgs renders the CMDLINE options present in params as postgres
// arguments (--name=value) in Patroni's order (wal_keep_* never).
func CmdlineArgs(params map[string]any) []string {
	var args []string
	for _, o := range CmdlineOptions {
		if o.Name == "wal_keep_segments" || o.Name == "wal_keep_size" {
			continue
		}
		if v, ok := getParam(params, o.Name); ok {
			args = append(args, "--"+o.Name+"="+paramString(v))
		}
	}
	return args
}

// paramString renders a parameter value for PostgreSQL (booleans as on/off).
func paramString(v any) string {
	if b, ok := v.(bool); ok {
		if b {
			return "on"
		}
		return "off"
	}
	return PyStr(v)
}

// PostgresCmdlineParams is the one-call form for the PostgreSQL layer: the
// postgres command-line arguments for a dynamic document, a raw local
// configuration and a server version (server_version_num style).
func PostgresCmdlineParams(dynamic, local map[string]any, majorVersion int) ([]string, error) {
	e, err := BuildEffective(dynamic, local)
	if err != nil {
		return nil, err
	}
	params, err := e.ServerParameters(majorVersion)
	if err != nil {
		return nil, err
	}
	return CmdlineArgs(params), nil
}
