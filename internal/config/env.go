package config

import (
	"regexp"
	"sort"
	"strings"
)

const envPrefix = "PATRONI_"

// authParams are the connection keys Patroni keeps in an authentication.<user> entry.
var authParams = []string{"username", "password", "sslmode", "sslcert", "sslkey", "sslpassword",
	"sslrootcert", "sslcrl", "sslcrldir", "gssencmode", "channel_binding", "sslnegotiation"}

// genericDCSSuffixes are the PATRONI_<SECTION>_<SUFFIX> suffixes Patroni maps
// to <section>.<suffix> for any section (etcd3, consul, zookeeper, ...).
var genericDCSSuffixes = map[string]string{
	"HOST": "", "HOSTS": "list", "PORT": "int", "USE_PROXIES": "bool", "PROTOCOL": "", "SRV": "",
	"SRV_SUFFIX": "", "URL": "", "PROXY": "", "CACERT": "", "CERT": "", "KEY": "", "VERIFY": "bool",
	"TOKEN": "", "CHECKS": "list", "DC": "", "CONSISTENCY": "", "REGISTER_SERVICE": "bool",
	"SERVICE_CHECK_INTERVAL": "", "SERVICE_CHECK_TLS_SERVER_NAME": "", "SERVICE_TAGS": "list",
	"NAMESPACE": "", "CONTEXT": "", "USE_ENDPOINTS": "bool", "SCOPE_LABEL": "", "ROLE_LABEL": "",
	"POD_IP": "", "PORTS": "list", "LABELS": "dict", "BYPASS_API_SERVICE": "bool",
	"RETRIABLE_HTTP_CODES": "list", "KEY_PASSWORD": "", "USE_SSL": "", "SET_ACLS": "dict",
	"GROUP": "", "DATABASE": "", "LEADER_LABEL_VALUE": "", "FOLLOWER_LABEL_VALUE": "",
	"STANDBY_LEADER_LABEL_VALUE": "", "TMP_ROLE_LABEL": "", "AUTH_DATA": "dict", "BOOTSTRAP_LABELS": "dict",
}

// envReader pops PATRONI_* variables from a private copy of the environment
// and remembers which ones it consumed.
type envReader struct {
	vars     map[string]string
	consumed map[string]bool
}

func newEnvReader(environ []string) *envReader {
	r := &envReader{vars: map[string]string{}, consumed: map[string]bool{}}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k != "" {
			r.vars[k] = v
		}
	}
	return r
}

// pop returns and removes PATRONI_<NAME>; "" when unset.
func (r *envReader) pop(name string) string {
	return r.popRaw(envPrefix + strings.ToUpper(name))
}

func (r *envReader) popRaw(key string) string {
	v, ok := r.vars[key]
	if ok {
		delete(r.vars, key)
		r.consumed[key] = true
	}
	return v
}

func (r *envReader) consumedNames() []string {
	return sortedKeys(r.consumed)
}

// envConfig builds the configuration Patroni derives from PATRONI_* variables.
func envConfig(r *envReader) map[string]any {
	ret := map[string]any{}
	for _, p := range []string{"name", "namespace", "scope", "thread_pool_size", "thread_stack_size"} {
		if v := r.pop(p); v != "" {
			ret[p] = v
		}
	}
	// Legacy log variables are copied to the new names unless those are set.
	for _, p := range [][2]string{{"level", "loglevel"}, {"format", "logformat"}, {"dateformat", "log_datefmt"}} {
		v := r.pop(p[1])
		name := envPrefix + "LOG_" + strings.ToUpper(p[0])
		if _, set := r.vars[name]; v != "" && !set {
			r.vars[name] = v
		}
	}
	setSection := func(sec string, params ...string) {
		for _, p := range params {
			if v := r.pop(sec + "_" + p); v != "" {
				ensureSection(ret, sec)[p] = v
			}
		}
	}
	setSection("restapi", "listen", "connect_address", "certfile", "keyfile", "keyfile_password", "cafile",
		"ciphers", "verify_client", "http_extra_headers", "https_extra_headers", "allowlist",
		"allowlist_include_members", "request_queue_size", "server_tokens")
	setSection("ctl", "insecure", "cacert", "certfile", "keyfile", "keyfile_password")
	setSection("postgresql", "listen", "connect_address", "proxy_address", "config_dir", "data_dir", "pgpass", "bin_dir")
	setSection("log", "type", "level", "traceback_level", "format", "dateformat", "static_fields", "max_queue_size",
		"dir", "mode", "file_size", "file_num", "loggers", "deduplicate_heartbeat_logs")
	setSection("raft", "data_dir", "self_addr", "partner_addrs", "password", "bind_addr")
	for _, b := range []string{"pg_ctl", "initdb", "pg_controldata", "pg_basebackup", "postgres", "pg_isready", "pg_rewind"} {
		if v := r.pop("POSTGRESQL_BIN_" + b); v != "" {
			ensureSection(ensureSection(ret, "postgresql"), "bin_name")[b] = v
		}
	}
	convertEnvValues(ret)
	envAuth(r, ret)
	envGenericSections(r, ret)
	for _, dcs := range []string{"etcd", "etcd3"} {
		if s := section(ret, dcs); s != nil {
			for k, v := range authFromEnv(r, dcs, authParams[:2]) {
				s[k] = v
			}
		}
	}
	envUsers(r, ret)
	return ret
}

var logFormatPlaceholder = regexp.MustCompile(`%\(\w+\)`)

// convertEnvValues turns the string values of typed keys into bools, ints,
// lists and maps; values that do not parse are dropped, like Patroni does.
func convertEnvValues(ret map[string]any) {
	convert := func(sec, key string, fn func(string) (any, bool)) {
		s := section(ret, sec)
		if s == nil {
			return
		}
		v, ok := s[key].(string)
		if !ok {
			return
		}
		delete(s, key)
		if v == "" {
			return
		}
		if nv, ok := fn(v); ok {
			s[key] = nv
		}
	}
	for _, k := range [][2]string{{"restapi", "allowlist_include_members"}, {"ctl", "insecure"}, {"log", "deduplicate_heartbeat_logs"}} {
		convert(k[0], k[1], envBool)
	}
	for _, k := range [][2]string{{"restapi", "request_queue_size"}, {"restapi", "thread_pool_size"},
		{"log", "max_queue_size"}, {"log", "file_size"}, {"log", "file_num"}, {"log", "mode"}} {
		convert(k[0], k[1], envInt)
	}
	for _, k := range [][2]string{{"raft", "partner_addrs"}, {"restapi", "allowlist"}} {
		convert(k[0], k[1], envNonEmpty(envList))
	}
	if lf, ok := section(ret, "log")["format"].(string); ok && !logFormatPlaceholder.MatchString(lf) {
		convert("log", "format", envNonEmpty(envList))
	}
	for _, k := range [][2]string{{"restapi", "http_extra_headers"}, {"restapi", "https_extra_headers"},
		{"log", "static_fields"}, {"log", "loggers"}} {
		convert(k[0], k[1], envNonEmpty(envDict))
	}
}

func envBool(s string) (any, bool) { return ParseBool(s) }

func envInt(s string) (any, bool) {
	n, ok := ParseInt(s, "")
	return int(n), ok
}

// envList is Patroni's _parse_list: wrap in [] unless it already looks like a list.
func envList(s string) (any, bool) {
	if !strings.HasPrefix(strings.TrimSpace(s), "-") && !strings.Contains(s, "[") {
		s = "[" + s + "]"
	}
	v, err := yamlFlow(s)
	return v, err == nil && v != nil
}

// envDict is Patroni's _parse_dict: wrap in {} unless it starts with {.
func envDict(s string) (any, bool) {
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		s = "{" + s + "}"
	}
	v, err := yamlFlow(s)
	return v, err == nil && v != nil
}

func envNonEmpty(fn func(string) (any, bool)) func(string) (any, bool) {
	return func(s string) (any, bool) {
		v, ok := fn(s)
		return v, ok && Truthy(v)
	}
}

func authFromEnv(r *envReader, name string, params []string) map[string]any {
	out := map[string]any{}
	for _, p := range params {
		if v := r.pop(name + "_" + p); v != "" {
			out[p] = v
		}
	}
	return out
}

func envAuth(r *envReader, ret map[string]any) {
	for _, sec := range []string{"ctl", "restapi"} {
		if a := authFromEnv(r, sec, authParams[:2]); len(a) > 0 {
			ensureSection(ret, sec)["authentication"] = a
		}
	}
	auth := map[string]any{}
	for _, u := range []string{"replication", "superuser", "rewind"} {
		if a := authFromEnv(r, u, authParams); len(a) > 0 {
			auth[u] = a
		}
	}
	if len(auth) > 0 {
		ensureSection(ret, "postgresql")["authentication"] = auth
	}
}

// envGenericSections maps the remaining PATRONI_<SECTION>_<SUFFIX> variables.
func envGenericSections(r *envReader, ret map[string]any) {
	for _, key := range sortedKeys(r.vars) {
		if !strings.HasPrefix(key, envPrefix) {
			continue
		}
		name, suffix, _ := strings.Cut(key[len(envPrefix):], "_")
		kind, known := genericDCSSuffixes[suffix]
		if !known || name == "" {
			continue
		}
		raw := r.popRaw(key)
		var value any = raw
		ok := true
		switch {
		case name == "CITUS":
			if suffix == "GROUP" {
				value, ok = envInt(raw)
			} else if suffix != "DATABASE" {
				continue
			}
		case kind == "int" && raw != "":
			value, ok = envInt(raw)
		case kind == "list" && raw != "":
			value, ok = envList(raw)
		case kind == "dict":
			value, ok = envDict(raw)
		case kind == "bool":
			value, ok = envBool(raw)
		}
		if ok {
			ensureSection(ret, strings.ToLower(name))[strings.ToLower(suffix)] = value
		}
	}
}

// envUsers handles the deprecated PATRONI_<USER>_PASSWORD / _OPTIONS pairs
// (Patroni 3.x bootstrap.users); processed last so only leftovers count.
func envUsers(r *envReader, ret map[string]any) {
	users := map[string]any{}
	keys := sortedKeys(r.vars)
	sort.Strings(keys)
	for _, key := range keys {
		if !strings.HasPrefix(key, envPrefix) {
			continue
		}
		rest := key[len(envPrefix):]
		i := strings.LastIndex(rest, "_")
		if i <= 0 || rest[i+1:] != "PASSWORD" {
			continue
		}
		if _, still := r.vars[key]; !still {
			continue
		}
		password := r.popRaw(key)
		if password == "" {
			continue
		}
		user := map[string]any{"password": password}
		if opts := r.popRaw(envPrefix + rest[:i] + "_OPTIONS"); opts != "" {
			if v, ok := envList(opts); ok && Truthy(v) {
				user["options"] = v
			}
		}
		users[rest[:i]] = user
	}
	if len(users) > 0 {
		ensureSection(ret, "bootstrap")["users"] = users
	}
}
