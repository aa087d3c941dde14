package pg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

func (s *Server) confPath(name string) string { return filepath.Join(s.opts.configDir(), name) }
func (s *Server) dataPath(name string) string { return filepath.Join(s.opts.DataDir, name) }

func (s *Server) baseConfName() string { return s.opts.baseName() + ".base.conf" }

// availableGUCs lists the GUC names the binary knows (postgres --describe-config).
func (s *Server) availableGUCs(ctx context.Context) map[string]bool {
	s.mu.Lock()
	g := s.gucs
	s.mu.Unlock()
	if g != nil {
		return g
	}
	out, err := s.runOutput(ctx, nil, BinPostgres, "--describe-config")
	if err != nil {
		s.log.Warn("cannot list available GUCs", "error", err)
		return nil
	}
	g = map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		if name, _, ok := strings.Cut(line, "\t"); ok {
			g[strings.ToLower(name)] = true
		}
	}
	s.mu.Lock()
	s.gucs = g
	s.mu.Unlock()
	return g
}

// EffectiveParams returns the GUCs to write for role, without the recovery
// ones: the assembled server parameters, Patroni's overrides
// (synchronous_standby_names, hot_standby_feedback), unknown names removed,
// and on a standby the replica-safety raise from pg_controldata.
func (s *Server) EffectiveParams(ctx context.Context, role Role) (ServerParams, error) {
	sp, err := BuildServerParams(&s.opts, s.major)
	if err != nil {
		return sp, err
	}
	s.mu.Lock()
	if s.syncNames != nil {
		if *s.syncNames == "" {
			delete(sp.Params, "synchronous_standby_names")
		} else {
			sp.Params["synchronous_standby_names"] = *s.syncNames
		}
	}
	if s.hsFeedOn {
		sp.Params["hot_standby_feedback"] = "on"
	}
	s.mu.Unlock()
	if gucs := s.availableGUCs(ctx); gucs != nil {
		for k, v := range sp.Params {
			if !strings.Contains(k, ".") && !gucs[k] {
				s.log.Warn("Removing unexpected parameter from the config", "parameter", k, "value", v)
				delete(sp.Params, k)
			}
		}
	}
	s.mu.Lock()
	custom, keepRC := s.custom, s.keepRC
	s.mu.Unlock()
	// Like Patroni, a custom bootstrap (role still uninitialized there) starts with the
	// standby rules: a restored backup may come from a primary with larger settings.
	if role != RolePrimary || custom {
		s.raiseToControldata(ctx, sp.Params)
	}
	if custom && customBootstrapNoHotStandby(keepRC, s.opts.BootstrapMethod) {
		sp.Params["hot_standby"] = "off"
	}
	return sp, nil
}

// customBootstrapNoHotStandby: a PITR that promotes at its target runs without hot
// standby, so larger max_connections & co. on the backup's primary cannot abort it;
// a kept recovery configuration (pgBackRest) is trusted to do the same.
func customBootstrapNoHotStandby(keepRC bool, m *BootstrapMethod) bool {
	if keepRC {
		return true
	}
	if m == nil || len(m.RecoveryConf) == 0 {
		return false
	}
	rc := map[string]string{}
	for k, v := range m.RecoveryConf {
		rc[strings.ToLower(k)] = v
	}
	action, ok := rc["recovery_target_action"]
	if !ok {
		// Patroni: promote only when pause_at_recovery_target is explicitly false.
		action = "pause"
		if v, set := rc["pause_at_recovery_target"]; set && isFalse(v) {
			action = "promote"
		}
	}
	return action == "promote"
}

func isFalse(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "off", "false", "no", "0", "f", "n":
		return true
	}
	return false
}

// raiseToControldata keeps a standby's settings at least at the primary's
// values recorded in pg_control; otherwise it would refuse to start.
func (s *Server) raiseToControldata(ctx context.Context, p map[string]string) {
	cd, err := s.Controldata(ctx)
	if err != nil {
		return
	}
	for name, label := range ReplicaSafetyParams(s.major) {
		want, err1 := strconv.Atoi(cd.Raw[label])
		have, err2 := strconv.Atoi(p[name])
		if err1 == nil && (err2 != nil || want > have) {
			if _, ok := p[name]; ok || want > 0 {
				p[name] = strconv.Itoa(want)
			}
		}
	}
}

// WriteConfig writes postgresql.conf (renaming an existing one to
// postgresql.base.conf the first time), the recovery configuration for role
// (nothing for a primary; standby.signal + recovery block following up
// otherwise), pgpass, and pg_hba.conf/pg_ident.conf when configured.
func (s *Server) WriteConfig(ctx context.Context, role Role, up *Upstream) error {
	sp, err := s.EffectiveParams(ctx, role)
	if err != nil {
		return err
	}
	var rp *RecoveryParams
	if role != RolePrimary {
		r := BuildRecoveryParams(&s.opts, s.major, sp.RecoveryConf, up)
		rp = &r
	}
	return s.writeConfigFiles(sp, rp)
}

func (s *Server) writeConfigFiles(sp ServerParams, rp *RecoveryParams) error {
	if err := os.MkdirAll(s.opts.configDir(), 0o700); err != nil {
		return err
	}
	if err := s.ensureBaseConf(); err != nil {
		return err
	}
	rendered, err := s.renderRecovery(rp)
	if err != nil {
		return err
	}
	conf := PostgresqlConf{Include: s.baseConfName(), Params: sp.Params,
		HbaFile: s.confPath("pg_hba.conf"), IdentFile: s.confPath("pg_ident.conf")}
	if s.opts.CustomConf != "" {
		conf.Include = s.opts.CustomConf
	}
	if RecoveryInConfig(s.major) {
		conf.Recovery = rendered
	}
	if err := writeFileAtomic(s.ConfigFile(), []byte(conf.Render()), 0o600); err != nil {
		return err
	}
	if err := s.writeRecoverySignals(rp, rendered); err != nil {
		return err
	}
	s.mu.Lock()
	s.recovery = rp
	s.mu.Unlock()
	if RecoveryInConfig(s.major) {
		if err := s.sanitizeAutoConf(); err != nil {
			return err
		}
	}
	return s.writeHbaIdent()
}

func (s *Server) ensureBaseConf() error {
	if s.opts.CustomConf != "" {
		return nil
	}
	base := s.confPath(s.baseConfName())
	if fileExists(base) {
		return nil
	}
	if fileExists(s.ConfigFile()) {
		return os.Rename(s.ConfigFile(), base)
	}
	return writeFileAtomic(base, nil, 0o600)
}

func (s *Server) renderRecovery(rp *RecoveryParams) (map[string]string, error) {
	if rp == nil {
		return nil, nil
	}
	passfile := ""
	if rp.Conninfo != nil && rp.Conninfo["password"] != "" && s.major >= 10 {
		if err := s.WritePgPass(rp.Conninfo); err != nil {
			return nil, err
		}
		passfile = s.opts.PgPass
	}
	return rp.Rendered(passfile), nil
}

func (s *Server) writeRecoverySignals(rp *RecoveryParams, rendered map[string]string) error {
	if rp == nil {
		return s.RemoveRecoveryConf()
	}
	if !RecoveryInConfig(s.major) {
		return writeFileAtomic(s.dataPath("recovery.conf"), []byte(RenderRecoveryConf(rendered)), 0o600)
	}
	keep, drop := "standby.signal", "recovery.signal"
	if !rp.StandbyOn {
		keep, drop = drop, keep
	}
	if err := os.Remove(s.dataPath(drop)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return writeFileAtomic(s.dataPath(keep), nil, 0o600)
}

// RemoveRecoveryConf removes recovery.conf, standby.signal and recovery.signal.
func (s *Server) RemoveRecoveryConf() error {
	for _, n := range []string{"recovery.conf", "standby.signal", "recovery.signal"} {
		if err := os.Remove(s.dataPath(n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// RecoveryConfExists reports whether the data directory asks for recovery.
func (s *Server) RecoveryConfExists() bool {
	if RecoveryInConfig(s.major) {
		return fileExists(s.dataPath("standby.signal")) || fileExists(s.dataPath("recovery.signal"))
	}
	return fileExists(s.dataPath("recovery.conf"))
}

var autoConfParamRe = regexp.MustCompile(`^([a-z_]+)\s*=\s*`)

// sanitizeAutoConf strips recovery settings from postgresql.auto.conf so an
// ALTER SYSTEM cannot pause, promote or stop a standby behind our back.
func (s *Server) sanitizeAutoConf() error {
	p := s.dataPath("postgresql.auto.conf")
	b, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	var keep []string
	changed := false
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if m := autoConfParamRe.FindStringSubmatch(strings.TrimSpace(line)); m != nil && recoveryParams[m[1]] {
			changed = true
			continue
		}
		keep = append(keep, line)
	}
	if !changed {
		return nil
	}
	return writeFileAtomic(p, []byte(strings.Join(keep, "")), 0o600)
}

// writeHbaIdent rewrites pg_hba.conf / pg_ident.conf from the configured
// lists, unless a custom hba_file / ident_file is set or no list is given.
func (s *Server) writeHbaIdent() error {
	if _, custom := s.opts.Parameters["hba_file"]; !custom && s.opts.PgHBA != nil {
		if err := writeFileAtomic(s.confPath("pg_hba.conf"), []byte(RenderLines(s.opts.PgHBA)), 0o600); err != nil {
			return err
		}
	}
	if _, custom := s.opts.Parameters["ident_file"]; !custom && s.opts.PgIdent != nil {
		if err := writeFileAtomic(s.confPath("pg_ident.conf"), []byte(RenderLines(s.opts.PgIdent)), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// WritePgPass writes the pgpass file (mode 0600) for params.
func (s *Server) WritePgPass(p ConnParams) error {
	content := PgPassContent(p)
	if content == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(s.opts.PgPass), 0o700); err != nil {
		return err
	}
	return writeFileAtomic(s.opts.PgPass, []byte(content), 0o600)
}

// pgpassEnv writes pgpass for p and returns the environment additions.
func (s *Server) pgpassEnv(p ConnParams) ([]string, error) {
	if PgPassContent(p) == "" {
		return nil, nil
	}
	if err := s.WritePgPass(p); err != nil {
		return nil, err
	}
	return []string{"PGPASSFILE=" + s.opts.PgPass}, nil
}

// configFilesToSave are the files backed up into PGDATA as *.backup.
func (s *Server) configFilesToSave() []string {
	files := []string{filepath.Base(s.ConfigFile())}
	if s.opts.CustomConf == "" {
		files = append(files, s.baseConfName())
	}
	if _, ok := s.opts.Parameters["hba_file"]; !ok {
		files = append(files, "pg_hba.conf")
	}
	if _, ok := s.opts.Parameters["ident_file"]; !ok {
		files = append(files, "pg_ident.conf")
	}
	return files
}

// SaveConfigFiles copies the configuration files to <data_dir>/<name>.backup
// (pg_basebackup skips symlinked configuration files).
func (s *Server) SaveConfigFiles() error {
	for _, f := range s.configFilesToSave() {
		src := s.confPath(f)
		if !fileExists(src) {
			continue
		}
		if err := copyFile(src, s.dataPath(f+".backup")); err != nil {
			return fmt.Errorf("backing up %s: %w", f, err)
		}
	}
	return nil
}

// RestoreConfigFiles puts back configuration files missing after a clone.
func (s *Server) RestoreConfigFiles() error {
	for _, f := range s.configFilesToSave() {
		dst := s.confPath(f)
		if fileExists(dst) {
			continue
		}
		backup := s.dataPath(f + ".backup")
		switch {
		case fileExists(backup):
			if err := copyFile(backup, dst); err != nil {
				return err
			}
		case f == "pg_ident.conf":
			if err := writeFileAtomic(dst, nil, 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	return writeFileAtomic(dst, data, 0o600)
}
