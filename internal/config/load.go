package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ConfigurationEnv is the variable holding a whole YAML configuration.
const ConfigurationEnv = "PATRONI_CONFIGURATION"

// ErrEmpty is returned when no configuration was found at all.
var ErrEmpty = errors.New("Config is empty.")

// Load reads the local configuration like Patroni: path (a YAML file, or a
// directory whose *.yml/*.yaml files are deep-merged in name order) with the
// PATRONI_* variables of environ patched on top; else PATRONI_CONFIGURATION
// alone; else the PATRONI_* variables alone. environ is a list of "KEY=value"
// (os.Environ() in production); the process environment is not touched.
func Load(path string, environ []string) (*Config, error) {
	raw, file, consumed, err := LoadRaw(path, environ)
	if err != nil {
		return nil, err
	}
	cfg, err := FromMap(raw)
	if err != nil {
		return nil, err
	}
	cfg.File, cfg.ConsumedEnv = file, consumed
	return cfg, nil
}

// LoadRaw is Load without the typed decoding: the merged document, the file
// or directory it came from ("" when from the environment) and the names of
// the PATRONI_* variables consumed.
func LoadRaw(path string, environ []string) (raw map[string]any, file string, consumed []string, err error) {
	r := newEnvReader(environ)
	fromEnv := envConfig(r)
	if path != "" {
		if _, statErr := os.Stat(path); statErr == nil {
			raw, err = LoadPath(path)
			if err != nil {
				return nil, "", nil, err
			}
			Patch(raw, fromEnv)
			file = path
		}
	}
	if raw == nil {
		if doc := r.popRaw(ConfigurationEnv); doc != "" {
			v, perr := ParseYAML([]byte(doc))
			if perr != nil {
				return nil, "", nil, fmt.Errorf("%s: %w", ConfigurationEnv, perr)
			}
			if Truthy(v) {
				m, ok := v.(map[string]any)
				if !ok {
					return nil, "", nil, fmt.Errorf("%s does not contain a dict", ConfigurationEnv)
				}
				raw = m
			}
		}
	}
	if raw == nil {
		raw = fromEnv
	}
	if len(raw) == 0 {
		return nil, "", nil, ErrEmpty
	}
	return raw, file, r.consumedNames(), nil
}

// LoadPath reads a YAML file, or every *.yml/*.yaml regular file of a
// directory in sorted order, deep-merged (later wins, null deletes).
func LoadPath(path string) (map[string]any, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("invalid config path %s: %w", path, err)
	}
	files := []string{path}
	if st.IsDir() {
		files, err = yamlFiles(path)
		if err != nil {
			return nil, err
		}
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("config path %s is neither directory nor file", path)
	}
	out := map[string]any{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		m, err := ParseYAMLMap(data)
		if err != nil {
			return nil, fmt.Errorf("invalid config file %s: %w", f, err)
		}
		Patch(out, m)
	}
	return out, nil
}

func yamlFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".yml") && !strings.HasSuffix(n, ".yaml") {
			continue
		}
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			files = append(files, p)
		}
	}
	sort.Strings(files)
	return files, nil
}

// UnsetConsumedEnv removes the PATRONI_* variables a Load consumed from the
// process environment, so they do not leak into PostgreSQL or callbacks.
func UnsetConsumedEnv(names []string) {
	for _, n := range names {
		os.Unsetenv(n)
	}
}

// FromMap decodes a raw local configuration into a Config with Patroni's
// defaults and legacy conversions. A value of the wrong type for a known key
// yields one *FieldError naming the key.
func FromMap(raw map[string]any) (*Config, error) {
	cfg := defaultConfig()
	norm := legacyLocal(raw)
	if err := decodeStruct("", norm, cfg); err != nil {
		return nil, err
	}
	if _, ok := section(norm, "watchdog")["mode"]; !ok {
		cfg.Watchdog.Mode = WatchdogAutomatic
	}
	if err := decodeMethods(cfg); err != nil {
		return nil, err
	}
	cfg.Raw = raw
	return cfg, nil
}

func defaultConfig() *Config {
	return &Config{
		Namespace: "/service",
		Log: Log{Type: "plain", Level: "INFO", TracebackLevel: "ERROR",
			Format:       LogFormat{Text: "%(asctime)s %(levelname)s: %(message)s"},
			MaxQueueSize: 1000, FileNum: 4, FileSize: 25000000},
		RestAPI: RestAPI{VerifyClient: "none", RequestQueueSize: 5, ServerTokens: "original"},
		Postgresql: Postgresql{ConfigBaseName: "postgresql", Pgpass: "~/pgpass", Database: "postgres",
			PgCtlTimeout: 60, CreateReplicaMethods: []string{"basebackup"}},
		Watchdog: Watchdog{Mode: WatchdogAutomatic, Device: "/dev/watchdog", SafetyMargin: 5, Driver: "default"},
	}
}

// legacyLocal applies Patroni's conversions of old-style local configuration
// to a copy: top-level name from postgresql.name, postgresql.authentication
// built from replication/superuser/pg_rewind.
func legacyLocal(raw map[string]any) map[string]any {
	m := DeepCopyMap(raw)
	pg := section(m, "postgresql")
	if pg == nil {
		return m
	}
	if _, ok := m["name"]; !ok {
		if n, ok := pg["name"]; ok {
			m["name"] = n
		}
	}
	if _, ok := pg["authentication"]; !ok {
		auth := map[string]any{}
		for _, u := range []string{"replication", "superuser"} {
			if v, ok := pg[u]; ok {
				auth[u] = v
			}
		}
		_, hasRewind := pg["pg_rewind"]
		pg["use_pg_rewind"] = hasRewind
		pg["authentication"] = auth
	}
	if auth, ok := pg["authentication"].(map[string]any); ok {
		if _, ok := auth["superuser"]; !ok {
			if v, ok := pg["pg_rewind"]; ok {
				auth["superuser"] = v
			}
		}
	}
	return m
}

// decodeMethods decodes custom bootstrap and replica method sections.
func decodeMethods(cfg *Config) error {
	for _, name := range sortedKeys(cfg.Bootstrap.Extra) {
		m, ok := cfg.Bootstrap.Extra[name].(map[string]any)
		if !ok {
			continue
		}
		var bm BootstrapMethod
		if err := decodeStruct("bootstrap."+name, m, &bm); err != nil {
			return err
		}
		if cfg.Bootstrap.Methods == nil {
			cfg.Bootstrap.Methods = map[string]BootstrapMethod{}
		}
		cfg.Bootstrap.Methods[name] = bm
	}
	pg := &cfg.Postgresql
	for _, name := range sortedKeys(pg.Extra) {
		m, ok := pg.Extra[name].(map[string]any)
		if !ok {
			continue
		}
		if _, hasCmd := m["command"]; !hasCmd && !contains(pg.CreateReplicaMethods, name) {
			continue
		}
		var rm ReplicaMethod
		if err := decodeStruct("postgresql."+name, m, &rm); err != nil {
			return err
		}
		if pg.ReplicaMethods == nil {
			pg.ReplicaMethods = map[string]ReplicaMethod{}
		}
		pg.ReplicaMethods[name] = rm
	}
	return nil
}
