package config

import "strings"

// Config is the typed local configuration (YAML file(s) + PATRONI_* variables).
// Raw keeps the merged document itself, so unknown keys survive and can be
// shown or compared on reload.
type Config struct {
	Raw         map[string]any `cfg:"-"`
	File        string         `cfg:"-"` // file or directory loaded; "" when built from the environment
	ConsumedEnv []string       `cfg:"-"` // PATRONI_* variables consumed (see UnsetConsumedEnv)

	Name      string `cfg:"name"`
	Scope     string `cfg:"scope"`
	Namespace string `cfg:"namespace"` // default "/service"

	Log        Log        `cfg:"log"`
	RestAPI    RestAPI    `cfg:"restapi"`
	Ctl        Ctl        `cfg:"ctl"`
	Bootstrap  Bootstrap  `cfg:"bootstrap"`
	Etcd3      *Etcd      `cfg:"etcd3"`
	Etcd       *Etcd      `cfg:"etcd"` // Patroni's etcd v2 section: parsed, but rejected by DCSType
	Consul     *Consul    `cfg:"consul"`
	ZooKeeper  *ZooKeeper `cfg:"zookeeper"`
	Citus      *Citus     `cfg:"citus"`
	Postgresql Postgresql `cfg:"postgresql"`
	Watchdog   Watchdog   `cfg:"watchdog"`
	Tags       Tags       `cfg:"tags"`
}

// Log is the `log` section.
type Log struct {
	Type                     string            `cfg:"type"`            // plain | json
	Level                    string            `cfg:"level"`           // INFO
	TracebackLevel           string            `cfg:"traceback_level"` // ERROR
	Format                   LogFormat         `cfg:"format"`
	DateFormat               string            `cfg:"dateformat"`
	StaticFields             map[string]any    `cfg:"static_fields"`
	MaxQueueSize             int               `cfg:"max_queue_size"` // 1000
	Dir                      string            `cfg:"dir"`
	FileNum                  int               `cfg:"file_num"`  // 4
	FileSize                 int64             `cfg:"file_size"` // 25000000
	Mode                     *int              `cfg:"mode"`
	Loggers                  map[string]string `cfg:"loggers"`
	DeduplicateHeartbeatLogs bool              `cfg:"deduplicate_heartbeat_logs"`
}

// Auth is a username/password pair (restapi, ctl, etcd).
type Auth struct {
	Username string `cfg:"username"`
	Password string `cfg:"password"`
}

// RestAPI is the `restapi` section.
type RestAPI struct {
	Listen                  string            `cfg:"listen"`
	ConnectAddress          string            `cfg:"connect_address"`
	Authentication          *Auth             `cfg:"authentication"`
	CertFile                string            `cfg:"certfile"`
	KeyFile                 string            `cfg:"keyfile"`
	KeyFilePassword         string            `cfg:"keyfile_password"`
	CAFile                  string            `cfg:"cafile"`
	Ciphers                 string            `cfg:"ciphers"`
	VerifyClient            string            `cfg:"verify_client"` // none | optional | required
	Allowlist               []string          `cfg:"allowlist"`
	AllowlistIncludeMembers bool              `cfg:"allowlist_include_members"`
	HTTPExtraHeaders        map[string]string `cfg:"http_extra_headers"`
	HTTPSExtraHeaders       map[string]string `cfg:"https_extra_headers"`
	RequestQueueSize        int               `cfg:"request_queue_size"` // 5
	ServerTokens            string            `cfg:"server_tokens"`      // original
	ThreadPoolSize          int               `cfg:"thread_pool_size"`
}

// Ctl is the `ctl` section (patronictl and the node's own REST calls).
type Ctl struct {
	Authentication  *Auth  `cfg:"authentication"`
	Insecure        bool   `cfg:"insecure"`
	CACert          string `cfg:"cacert"`
	CertFile        string `cfg:"certfile"`
	KeyFile         string `cfg:"keyfile"`
	KeyFilePassword string `cfg:"keyfile_password"`
}

// Bootstrap is the `bootstrap` section.
type Bootstrap struct {
	DCS           map[string]any           `cfg:"dcs"`
	Method        string                   `cfg:"method"` // "" or "initdb" → initdb
	InitDB        Options                  `cfg:"initdb"`
	PostBootstrap string                   `cfg:"post_bootstrap|post_init"`
	PgHBA         []string                 `cfg:"pg_hba"`
	Users         map[string]BootstrapUser `cfg:"users"`
	// Methods holds the custom bootstrap method sections (every other map key).
	Methods map[string]BootstrapMethod `cfg:"-"`
	Extra   map[string]any             `cfg:",extra"`
}

// BootstrapUser is a deprecated bootstrap.users entry.
type BootstrapUser struct {
	Password string   `cfg:"password"`
	Options  []string `cfg:"options"`
}

// BootstrapMethod is a custom bootstrap method section.
type BootstrapMethod struct {
	Command                  string         `cfg:"command"`
	NoParams                 bool           `cfg:"no_params"`
	KeepExistingRecoveryConf bool           `cfg:"keep_existing_recovery_conf"`
	RecoveryConf             map[string]any `cfg:"recovery_conf"`
	Extra                    map[string]any `cfg:",extra"` // becomes --k=v
}

// Etcd is the `etcd3` (or legacy `etcd`) section.
type Etcd struct {
	Host       string   `cfg:"host"`
	Hosts      HostList `cfg:"hosts"`
	Port       int      `cfg:"port"`
	URL        string   `cfg:"url"`
	Proxy      string   `cfg:"proxy"`
	SRV        string   `cfg:"srv|discovery_srv"`
	SRVSuffix  string   `cfg:"srv_suffix|srv_domain"`
	UseProxies bool     `cfg:"use_proxies"`
	Protocol   string   `cfg:"protocol"` // http
	Username   string   `cfg:"username"`
	Password   string   `cfg:"password"`
	CACert     string   `cfg:"cacert"`
	Cert       string   `cfg:"cert"`
	Key        string   `cfg:"key"`
}

// Consul is the `consul` section.
type Consul struct {
	Host                      string   `cfg:"host"` // 127.0.0.1:8500
	URL                       string   `cfg:"url"`
	Port                      int      `cfg:"port"`
	Scheme                    string   `cfg:"scheme"` // http
	Token                     string   `cfg:"token"`
	Verify                    *bool    `cfg:"verify"`
	CACert                    string   `cfg:"cacert"`
	Cert                      string   `cfg:"cert"`
	Key                       string   `cfg:"key"`
	DC                        string   `cfg:"dc"`
	Consistency               string   `cfg:"consistency"` // default
	Checks                    []string `cfg:"checks"`
	RegisterService           bool     `cfg:"register_service"`
	ServiceTags               []string `cfg:"service_tags"`
	ServiceCheckInterval      string   `cfg:"service_check_interval"` // 5s
	ServiceCheckTLSServerName string   `cfg:"service_check_tls_server_name"`
}

// ZooKeeper is the `zookeeper` section.
type ZooKeeper struct {
	Hosts       HostList            `cfg:"hosts"`
	UseSSL      bool                `cfg:"use_ssl"`
	CACert      string              `cfg:"cacert"`
	Cert        string              `cfg:"cert"`
	Key         string              `cfg:"key"`
	KeyPassword string              `cfg:"key_password"`
	Verify      bool                `cfg:"verify"` // true
	SetACLs     map[string][]string `cfg:"set_acls"`
	AuthData    map[string]string   `cfg:"auth_data"`
}

// Citus is the `citus` section.
type Citus struct {
	Group    int    `cfg:"group"`
	Database string `cfg:"database"`
}

// Watchdog is the `watchdog` section.
type Watchdog struct {
	Mode         WatchdogMode `cfg:"mode"` // automatic when absent
	Device       string       `cfg:"device"`
	SafetyMargin int          `cfg:"safety_margin"` // 5; -1 → ttl/2
	Driver       string       `cfg:"driver"`
}

// WatchdogMode is the normalised watchdog.mode.
type WatchdogMode string

// Watchdog modes.
const (
	WatchdogOff       WatchdogMode = "off"
	WatchdogAutomatic WatchdogMode = "automatic"
	WatchdogRequired  WatchdogMode = "required"
)

func (m *WatchdogMode) decodeCfg(path string, v any) error {
	switch v.(type) {
	case map[string]any, []any:
		return &FieldError{path, v, "a string"}
	}
	*m = ParseWatchdogMode(PyStr(v))
	return nil
}

// ParseWatchdogMode maps Patroni's mode words; unknown words (and false) mean off.
func ParseWatchdogMode(s string) WatchdogMode {
	switch strings.ToLower(s) {
	case "automatic", "auto":
		return WatchdogAutomatic
	case "required", "require":
		return WatchdogRequired
	}
	return WatchdogOff
}
