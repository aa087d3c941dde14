package pg

import (
	"log/slog"
	"time"
)

// User is one entry of postgresql.authentication (superuser, replication, rewind).
type User struct {
	Username       string
	Password       string
	SSLMode        string
	SSLKey         string
	SSLPassword    string
	SSLCert        string
	SSLRootCert    string
	SSLCRL         string
	SSLCRLDir      string
	GSSEncMode     string
	ChannelBinding string
}

// Param is one extra `--name=value` argument of a user-defined method, kept in
// configuration order.
type Param struct {
	Name  string
	Value string
}

// ReplicaMethod is a custom create_replica_methods section (e.g. pgbackrest).
type ReplicaMethod struct {
	Command  string // defaults to the method name
	NoParams bool
	KeepData bool
	NoLeader bool    // also legacy no_master
	Params   []Param // every other key → --k=v
}

// BootstrapMethod is a custom bootstrap section (bootstrap.<method>).
type BootstrapMethod struct {
	Name                     string
	Command                  string
	NoParams                 bool
	KeepExistingRecoveryConf bool
	RecoveryConf             map[string]string // nil when the key is absent
	Params                   []Param           // every other key → --k=v
}

// Options is everything this package needs to run one PostgreSQL server.
// The zero value of an optional field means "Patroni's default".
type Options struct {
	Scope string // cluster name: cluster_name GUC, --scope of scripts
	Name  string // member name: application_name, slot name

	DataDir        string
	ConfigDir      string            // default DataDir
	ConfigBaseName string            // default "postgresql"
	CustomConf     string            // included instead of postgresql.base.conf
	BinDir         string            // "" → PATH, then /usr/lib/postgresql/<newest>/bin
	BinName        map[string]string // pg_ctl, initdb, pg_controldata, pg_basebackup, postgres, pg_isready, pg_rewind

	Listen         string // host[,host...]:port
	ConnectAddress string // host:port published in conn_url
	Database       string // default "postgres"
	PgPass         string // default ~/pgpass

	Superuser   User
	Replication User
	Rewind      *User // PG ≥ 11 rewind user; nil → superuser

	// Parameters are the effective GUCs (local merged with dynamic). Use
	// FormatParamValue to turn YAML scalars into strings.
	Parameters   map[string]string
	PgHBA        []string          // nil → pg_hba.conf left alone
	PgIdent      []string          // nil → pg_ident.conf left alone
	RecoveryConf map[string]string // extra recovery settings (restore_command...)

	UseUnixSocket     bool
	UseUnixSocketRepl bool
	KrbSrvName        string
	PgCtlTimeout      time.Duration // start/stop wait; default 60s

	UseSlots                               bool
	UsePgRewind                            bool
	RemoveDataDirectoryOnRewindFailure     bool
	RemoveDataDirectoryOnDivergedTimelines bool

	CreateReplicaMethods []string                 // default [basebackup]
	ReplicaMethods       map[string]ReplicaMethod // sections by name
	BasebackupOptions    any                      // list (str / single-key map) or map
	RewindOptions        any                      // postgresql.rewind (4.x), same forms

	InitdbOptions   any              // bootstrap.initdb: list or map
	BootstrapMethod *BootstrapMethod // nil → initdb
	BootstrapPgHBA  []string         // legacy bootstrap.pg_hba
	PostBootstrap   string           // post_bootstrap / post_init command

	BeforeStop string // run before stopping; exit code ignored
	PrePromote string // non-zero exit aborts promotion

	Logger *slog.Logger
}

func (o *Options) configDir() string {
	if o.ConfigDir != "" {
		return o.ConfigDir
	}
	return o.DataDir
}

func (o *Options) baseName() string {
	if o.ConfigBaseName != "" {
		return o.ConfigBaseName
	}
	return "postgresql"
}

func (o *Options) database() string {
	if o.Database != "" {
		return o.Database
	}
	return "postgres"
}

func (o *Options) pgCtlTimeout() time.Duration {
	if o.PgCtlTimeout > 0 {
		return o.PgCtlTimeout
	}
	return 60 * time.Second
}

func (o *Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// rewindUser is the user pg_rewind connects as: the rewind user on PG ≥ 11
// when configured, otherwise the superuser.
func (o *Options) rewindUser(major int) User {
	if o.Rewind != nil && major >= 11 && o.Rewind.Username != "" {
		return *o.Rewind
	}
	return o.Superuser
}
