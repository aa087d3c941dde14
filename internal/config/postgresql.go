package config

import (
	"os"
	"path/filepath"
	"strings"
)

// Postgresql is the `postgresql` section.
type Postgresql struct {
	Listen         string  `cfg:"listen"`
	ConnectAddress string  `cfg:"connect_address"`
	ProxyAddress   string  `cfg:"proxy_address"`
	DataDir        string  `cfg:"data_dir"`
	ConfigDir      string  `cfg:"config_dir"`       // default: data_dir (see ConfigDirPath)
	ConfigBaseName string  `cfg:"config_base_name"` // postgresql
	CustomConf     string  `cfg:"custom_conf"`
	BinDir         string  `cfg:"bin_dir"`
	BinName        BinName `cfg:"bin_name"`
	Pgpass         string  `cfg:"pgpass"`   // ~/pgpass (see PgpassPath)
	Database       string  `cfg:"database"` // postgres

	Authentication Authentication `cfg:"authentication"`
	Parameters     map[string]any `cfg:"parameters"`
	PgHBA          []string       `cfg:"pg_hba"`
	PgIdent        []string       `cfg:"pg_ident"`
	PgCtlTimeout   int            `cfg:"pg_ctl_timeout"` // 60

	UsePgRewind                            bool `cfg:"use_pg_rewind"`
	RemoveDataDirectoryOnRewindFailure     bool `cfg:"remove_data_directory_on_rewind_failure"`
	RemoveDataDirectoryOnDivergedTimelines bool `cfg:"remove_data_directory_on_diverged_timelines"`
	UseUnixSocket                          bool `cfg:"use_unix_socket"`
	UseUnixSocketRepl                      bool `cfg:"use_unix_socket_repl"`

	Callbacks            map[string]string `cfg:"callbacks"`
	CreateReplicaMethods []string          `cfg:"create_replica_methods|create_replica_method"` // [basebackup]
	Basebackup           Options           `cfg:"basebackup"`
	RecoveryConf         map[string]any    `cfg:"recovery_conf"`
	Krbsrvname           string            `cfg:"krbsrvname"`
	PrePromote           string            `cfg:"pre_promote"`
	BeforeStop           string            `cfg:"before_stop"`
	// UseSlots is only honoured from the dynamic configuration (see Dynamic.UseSlots).
	UseSlots *bool `cfg:"use_slots"`

	// ReplicaMethods holds the sections of create_replica_methods other than basebackup.
	ReplicaMethods map[string]ReplicaMethod `cfg:"-"`
	Extra          map[string]any           `cfg:",extra"`
}

// BinName overrides binary names under bin_dir.
type BinName struct {
	PgCtl         string `cfg:"pg_ctl"`
	InitDB        string `cfg:"initdb"`
	PgControlData string `cfg:"pg_controldata"`
	PgBasebackup  string `cfg:"pg_basebackup"`
	Postgres      string `cfg:"postgres"`
	PgIsReady     string `cfg:"pg_isready"`
	PgRewind      string `cfg:"pg_rewind"`
}

// Authentication holds the PostgreSQL users Patroni connects as.
type Authentication struct {
	Superuser   *UserAuth `cfg:"superuser"`
	Replication *UserAuth `cfg:"replication"`
	Rewind      *UserAuth `cfg:"rewind"`
}

// UserAuth is one authentication.<user> entry (libpq connection keys).
type UserAuth struct {
	Username       string `cfg:"username"`
	Password       string `cfg:"password"`
	SSLMode        string `cfg:"sslmode"`
	SSLKey         string `cfg:"sslkey"`
	SSLPassword    string `cfg:"sslpassword"`
	SSLCert        string `cfg:"sslcert"`
	SSLRootCert    string `cfg:"sslrootcert"`
	SSLCRL         string `cfg:"sslcrl"`
	SSLCRLDir      string `cfg:"sslcrldir"`
	GSSEncMode     string `cfg:"gssencmode"`
	ChannelBinding string `cfg:"channel_binding"`
	SSLNegotiation string `cfg:"sslnegotiation"`
}

// ReplicaMethod is a custom replica creation method section (e.g. pgbackrest).
type ReplicaMethod struct {
	Command  string         `cfg:"command"`
	NoParams bool           `cfg:"no_params"`
	KeepData bool           `cfg:"keep_data"`
	NoLeader bool           `cfg:"no_leader|no_master"`
	Extra    map[string]any `cfg:",extra"` // becomes --k=v
}

// Binary returns the path of a PostgreSQL binary ("pg_ctl", "postgres", ...)
// honouring bin_name and bin_dir; with no bin_dir the bare name is returned
// (to be resolved through $PATH).
func (p *Postgresql) Binary(name string) string {
	if n := p.BinName.get(name); n != "" {
		name = n
	}
	if p.BinDir == "" {
		return name
	}
	return filepath.Join(p.BinDir, name)
}

func (b *BinName) get(name string) string {
	switch name {
	case "pg_ctl":
		return b.PgCtl
	case "initdb":
		return b.InitDB
	case "pg_controldata":
		return b.PgControlData
	case "pg_basebackup":
		return b.PgBasebackup
	case "postgres":
		return b.Postgres
	case "pg_isready":
		return b.PgIsReady
	case "pg_rewind":
		return b.PgRewind
	}
	return ""
}

// ConfigDirPath is the absolute directory of postgresql.conf & co.
func (p *Postgresql) ConfigDirPath() string {
	d := p.ConfigDir
	if d == "" {
		d = p.DataDir
	}
	abs, err := filepath.Abs(d)
	if err != nil {
		return d
	}
	return abs
}

// PgpassPath is the absolute pgpass path (default ~/pgpass, no leading dot).
func (p *Postgresql) PgpassPath() string {
	f := p.Pgpass
	if f == "" || f == "~/pgpass" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "/"
		}
		f = filepath.Join(home, "pgpass")
	} else if strings.HasPrefix(f, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			f = filepath.Join(home, f[2:])
		}
	}
	abs, err := filepath.Abs(f)
	if err != nil {
		return f
	}
	return abs
}

// Callback returns the command configured for a callback action, if any.
func (p *Postgresql) Callback(action string) string { return p.Callbacks[action] }
