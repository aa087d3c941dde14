package pg

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

func (s *Server) runCustomBootstrap(ctx context.Context, m *BootstrapMethod) error {
	words, err := SplitCommand(m.Command)
	if err != nil || len(words) == 0 {
		return fmt.Errorf("invalid custom bootstrap command %q", m.Command)
	}
	s.log.Info("Running custom bootstrap script", "command", m.Command)
	if code := s.runScript(ctx, "custom bootstrap", m.Command, CustomBootstrapArgs(&s.opts, m), nil); code != 0 {
		return fmt.Errorf("custom bootstrap command %q exited with code %d", m.Command, code)
	}
	s.mu.Lock()
	s.custom, s.keepRC = true, m.KeepExistingRecoveryConf
	s.mu.Unlock()
	if err := s.postRestore(); err != nil {
		return err
	}
	return s.writeCustomBootstrapConfig(ctx, m)
}

// postRestore puts back backed-up config files and removes a promote
// trigger file that would promote the restored copy on its own.
func (s *Server) postRestore() error {
	if err := s.RestoreConfigFiles(); err != nil {
		return err
	}
	trigger := s.opts.RecoveryConf[PromoteTriggerParam(s.major)]
	if trigger == "" {
		trigger = "promote"
	}
	if !filepath.IsAbs(trigger) {
		trigger = s.dataPath(trigger)
	}
	if err := os.Remove(trigger); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// writeCustomBootstrapConfig writes the configuration for the first start
// after a custom bootstrap: pg_hba.conf trusting local superuser and
// replication connections (the password is unknown until PostBootstrap),
// and the method's recovery_conf, or the restored one when asked to keep it.
func (s *Server) writeCustomBootstrapConfig(ctx context.Context, m *BootstrapMethod) error {
	sp, err := s.EffectiveParams(ctx, RolePrimary)
	if err != nil {
		return err
	}
	delete(sp.Params, "hba_file")
	if err := s.ensureBaseConf(); err != nil {
		return err
	}
	conf := PostgresqlConf{Include: s.baseConfName(), Params: sp.Params,
		HbaFile: s.confPath("pg_hba.conf"), IdentFile: s.confPath("pg_ident.conf")}
	if s.opts.CustomConf != "" {
		conf.Include = s.opts.CustomConf
	}
	var rp *RecoveryParams
	if m.RecoveryConf != nil {
		settings := map[string]string{}
		for k, v := range m.RecoveryConf {
			settings[strings.ToLower(k)] = v
		}
		standby := parseBool(settings["standby_mode"])
		delete(settings, "standby_mode")
		rp = &RecoveryParams{Settings: settings, StandbyOn: standby, Major: s.major}
		if RecoveryInConfig(s.major) {
			conf.Recovery = rp.Rendered("")
		}
	}
	if err := writeFileAtomic(s.ConfigFile(), []byte(conf.Render()), 0o600); err != nil {
		return err
	}
	switch {
	case rp != nil:
		if err := s.writeRecoverySignals(rp, rp.Rendered("")); err != nil {
			return err
		}
	case !m.KeepExistingRecoveryConf:
		if err := s.RemoveRecoveryConf(); err != nil {
			return err
		}
	}
	if !m.KeepExistingRecoveryConf && RecoveryInConfig(s.major) {
		if err := s.sanitizeAutoConf(); err != nil {
			return err
		}
	}
	return writeFileAtomic(s.confPath("pg_hba.conf"), []byte(s.trustHBA()), 0o600)
}

// trustHBA opens trust access for the superuser and replication user from
// the local socket and the local replication address.
func (s *Server) trustHBA() string {
	su := s.opts.Superuser.Username
	if su == "" {
		su = "all"
	}
	repl := s.opts.Replication.Username
	type entry struct{ typ, addr string }
	entries := []entry{{"local", ""}}
	rp := s.LocalReplicationParams()
	if h := rp["host"]; h != "" && !strings.HasPrefix(h, "/") {
		if ips, err := net.LookupIP(h); err == nil {
			for _, ip := range ips {
				if ip4 := ip.To4(); ip4 != nil {
					entries = append(entries, entry{"host", ip4.String() + "/32"})
				}
			}
		}
	}
	var b strings.Builder
	b.WriteString(confHeader)
	for _, e := range entries {
		fmt.Fprintf(&b, "%s\treplication\t%s\t%s\ttrust\n%s\tall\t%s\t%s\ttrust\n", e.typ, repl, e.addr, e.typ, su, e.addr)
	}
	return b.String()
}
