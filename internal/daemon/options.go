package daemon

import (
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/api"
	"github.com/patroni-go/patroni/internal/api/client"
	"github.com/patroni-go/patroni/internal/config"
	"github.com/patroni-go/patroni/internal/pg"
)

// pgOptions maps the effective configuration onto what internal/pg needs.
func pgOptions(local *config.Config, eff *config.Effective, dyn *config.Dynamic, logger *slog.Logger) (pg.Options, error) {
	p, err := eff.Postgresql()
	if err != nil {
		return pg.Options{}, err
	}
	raw := local.Raw
	o := pg.Options{
		Scope: local.Scope, Name: local.Name,
		DataDir: p.DataDir, ConfigDir: p.ConfigDir, ConfigBaseName: p.ConfigBaseName, CustomConf: p.CustomConf,
		BinDir: p.BinDir, BinName: binNames(p.BinName),
		Listen: p.Listen, ConnectAddress: p.ConnectAddress, Database: p.Database, PgPass: p.PgpassPath(),
		PgHBA: p.PgHBA, PgIdent: p.PgIdent, RecoveryConf: stringMap(p.RecoveryConf),
		UseUnixSocket: p.UseUnixSocket, UseUnixSocketRepl: p.UseUnixSocketRepl, KrbSrvName: p.Krbsrvname,
		PgCtlTimeout: time.Duration(p.PgCtlTimeout) * time.Second,
		UseSlots:     dyn.UseSlots, UsePgRewind: p.UsePgRewind,
		RemoveDataDirectoryOnRewindFailure:     p.RemoveDataDirectoryOnRewindFailure,
		RemoveDataDirectoryOnDivergedTimelines: p.RemoveDataDirectoryOnDivergedTimelines,
		CreateReplicaMethods:                   p.CreateReplicaMethods,
		BasebackupOptions:                      section(raw, "postgresql")["basebackup"],
		RewindOptions:                          section(raw, "postgresql")["rewind"],
		InitdbOptions:                          section(raw, "bootstrap")["initdb"],
		BootstrapPgHBA:                         local.Bootstrap.PgHBA,
		PostBootstrap:                          local.Bootstrap.PostBootstrap,
		BeforeStop:                             p.BeforeStop, PrePromote: p.PrePromote,
		Logger: logger,
	}
	o.Parameters = map[string]string{}
	for k, v := range eff.Parameters {
		o.Parameters[k] = pg.FormatParamValue(v)
	}
	if a := p.Authentication.Superuser; a != nil {
		o.Superuser = pgUser(a)
	}
	if a := p.Authentication.Replication; a != nil {
		o.Replication = pgUser(a)
	}
	if a := p.Authentication.Rewind; a != nil {
		u := pgUser(a)
		o.Rewind = &u
	}
	o.ReplicaMethods = map[string]pg.ReplicaMethod{}
	for name, m := range p.ReplicaMethods {
		o.ReplicaMethods[name] = pg.ReplicaMethod{Command: m.Command, NoParams: m.NoParams, KeepData: m.KeepData,
			NoLeader: m.NoLeader, Params: params(m.Extra)}
	}
	if method := local.Bootstrap.Method; method != "" && method != "initdb" {
		m, ok := local.Bootstrap.Methods[method]
		if !ok {
			return o, fmt.Errorf("bootstrap.method %q has no bootstrap.%s section", method, method)
		}
		o.BootstrapMethod = &pg.BootstrapMethod{Name: method, Command: m.Command, NoParams: m.NoParams,
			KeepExistingRecoveryConf: m.KeepExistingRecoveryConf, Params: params(m.Extra)}
		if m.RecoveryConf != nil {
			o.BootstrapMethod.RecoveryConf = stringMap(m.RecoveryConf)
		}
	}
	return o, nil
}

func pgUser(a *config.UserAuth) pg.User {
	return pg.User{Username: a.Username, Password: a.Password, SSLMode: a.SSLMode, SSLKey: a.SSLKey,
		SSLPassword: a.SSLPassword, SSLCert: a.SSLCert, SSLRootCert: a.SSLRootCert, SSLCRL: a.SSLCRL,
		SSLCRLDir: a.SSLCRLDir, GSSEncMode: a.GSSEncMode, ChannelBinding: a.ChannelBinding}
}

func binNames(b config.BinName) map[string]string {
	m := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("pg_ctl", b.PgCtl)
	set("initdb", b.InitDB)
	set("pg_controldata", b.PgControlData)
	set("pg_basebackup", b.PgBasebackup)
	set("postgres", b.Postgres)
	set("pg_isready", b.PgIsReady)
	set("pg_rewind", b.PgRewind)
	return m
}

func stringMap(m map[string]any) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = pg.FormatParamValue(v)
	}
	return out
}

// params turns a method's extra keys into --k=v arguments in a stable order.
func params(m map[string]any) []pg.Param {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]pg.Param, 0, len(keys))
	for _, k := range keys {
		out = append(out, pg.Param{Name: k, Value: pg.FormatParamValue(m[k])})
	}
	return out
}

func section(m map[string]any, key string) map[string]any {
	s, _ := m[key].(map[string]any)
	if s == nil {
		return map[string]any{}
	}
	return s
}

// apiConfig maps the restapi section.
func apiConfig(r config.RestAPI) api.Config {
	c := api.Config{
		Listen: r.Listen, CertFile: r.CertFile, KeyFile: r.KeyFile, KeyFilePassword: r.KeyFilePassword,
		CAFile: r.CAFile, Ciphers: r.Ciphers, VerifyClient: strings.ToLower(r.VerifyClient),
		Allowlist: r.Allowlist, AllowlistIncludeMembers: r.AllowlistIncludeMembers,
		HTTPExtraHeaders: r.HTTPExtraHeaders, HTTPSExtraHeaders: r.HTTPSExtraHeaders, ServerTokens: r.ServerTokens,
	}
	if a := r.Authentication; a != nil {
		c.Username, c.Password = a.Username, a.Password
	}
	return c
}

// clientOptions are the credentials this node uses for its own REST calls to peers.
func clientOptions(c *config.Config) client.Options {
	o := client.Options{CACert: c.CtlCACert(), CertFile: c.Ctl.CertFile, KeyFile: c.Ctl.KeyFile,
		KeyFilePassword: c.Ctl.KeyFilePassword, Insecure: true, UserAgent: "Patroni/" + config.Version}
	if a := c.CtlAuth(); a != nil {
		o.Username, o.Password = a.Username, a.Password
	}
	return o
}

// apiURL is what the member key publishes: <scheme>://<connect_address or listen>/patroni.
func apiURL(r config.RestAPI) string {
	scheme := "http"
	if r.CertFile != "" {
		scheme = "https"
	}
	addr := r.ConnectAddress
	if addr == "" {
		addr = r.Listen
	}
	return scheme + "://" + addr + "/patroni"
}

// connURL is postgres://<connect_address>/<database>.
func connURL(p config.Postgresql, addr string) string {
	if addr == "" {
		return ""
	}
	db := p.Database
	if db == "" {
		db = "postgres"
	}
	host, port, err := net.SplitHostPort(addr)
	if err == nil && strings.Contains(host, ":") {
		addr = "[" + host + "]:" + port
	}
	return "postgres://" + addr + "/" + db
}
