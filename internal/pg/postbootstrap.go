package pg

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// rewindGrants are the functions a non-superuser rewind role needs (PG ≥ 11).
var rewindGrants = []string{
	"pg_ls_dir(text, boolean, boolean)",
	"pg_stat_file(text, boolean)",
	"pg_read_binary_file(text)",
	"pg_read_binary_file(text, bigint, bigint, boolean)",
}

// PostBootstrap finishes a bootstrap on the running new primary: superuser
// password, post_bootstrap script, replication role, rewind role with its
// grants, and for a custom bootstrap the real pg_hba/pg_ident. On failure
// the cluster is cancelled (data directory → .failed) and the error wraps
// ErrBootstrapFailed. ErrStillInRecovery means: call again later.
func (s *Server) PostBootstrap(ctx context.Context) error {
	if !s.IsRunning() {
		return s.failBootstrap(ctx, ErrNotRunning)
	}
	var inRecovery bool
	if err := s.QueryRow(ctx, "SELECT pg_catalog.pg_is_in_recovery()", nil, &inRecovery); err != nil {
		if s.customBootstrap() != nil && !s.IsReady() {
			return ErrStillInRecovery
		}
		return s.failBootstrap(ctx, err)
	}
	if inRecovery {
		return ErrStillInRecovery
	}
	if err := s.postBootstrap(ctx); err != nil {
		return s.failBootstrap(ctx, err)
	}
	return nil
}

func (s *Server) postBootstrap(ctx context.Context) error {
	su := s.opts.Superuser
	if su.Username != "" && su.Password != "" {
		if err := s.CreateOrUpdateRole(ctx, su.Username, su.Password, []string{"SUPERUSER"}); err != nil {
			return err
		}
	}
	if err := s.runPostBootstrapScript(ctx); err != nil {
		return err
	}
	r := s.opts.Replication
	if err := s.CreateOrUpdateRole(ctx, r.Username, r.Password, []string{"REPLICATION"}); err != nil {
		return err
	}
	if rw := s.opts.rewindUser(s.major); rw.Username != su.Username {
		if err := s.createRewindRole(ctx, rw); err != nil {
			return err
		}
	}
	s.mu.Lock()
	custom := s.custom
	s.mu.Unlock()
	if custom {
		return s.finishCustomBootstrap(ctx)
	}
	return nil
}

func (s *Server) createRewindRole(ctx context.Context, rw User) error {
	if err := s.CreateOrUpdateRole(ctx, rw.Username, rw.Password, nil); err != nil {
		return err
	}
	for _, f := range rewindGrants {
		sql := fmt.Sprintf("DO $$\nBEGIN\n    SET local synchronous_commit = 'local';\n"+
			"    GRANT EXECUTE ON function pg_catalog.%s TO %s;\nEND;$$", f, pgx.Identifier{rw.Username}.Sanitize())
		if err := s.Exec(ctx, sql); err != nil {
			return fmt.Errorf("granting %s to %s: %w", f, rw.Username, err)
		}
	}
	return nil
}

// CreateOrUpdateRole creates the role or alters it, with LOGIN unless
// NOLOGIN is given, and the password; statement logging is off meanwhile so
// the password does not land in the server log.
func (s *Server) CreateOrUpdateRole(ctx context.Context, name, password string, options []string) error {
	if name == "" {
		return nil
	}
	opts := make([]string, 0, len(options)+3)
	login := false
	for _, o := range options {
		o = strings.ToUpper(o)
		login = login || o == "LOGIN" || o == "NOLOGIN"
		opts = append(opts, o)
	}
	if !login {
		opts = append(opts, "LOGIN")
	}
	if password != "" {
		opts = append(opts, "PASSWORD", quoteLiteral(password))
	}
	ident := pgx.Identifier{name}.Sanitize()
	sql := fmt.Sprintf("DO $$\nBEGIN\n    SET local synchronous_commit = 'local';\n"+
		"    PERFORM * FROM pg_catalog.pg_authid WHERE rolname = %s;\n    IF FOUND THEN\n"+
		"        ALTER ROLE %s WITH %s;\n    ELSE\n        CREATE ROLE %s WITH %s;\n    END IF;\nEND;$$",
		quoteLiteral(name), ident, strings.Join(opts, " "), ident, strings.Join(opts, " "))
	return s.withConn(ctx, func(c *pgx.Conn) error {
		for _, q := range []string{"SET log_statement TO none", "SET log_min_duration_statement TO -1",
			"SET log_min_error_statement TO 'log'"} {
			if _, err := c.Exec(ctx, q); err != nil {
				return err
			}
		}
		_, err := c.Exec(ctx, sql)
		for _, q := range []string{"RESET log_min_error_statement", "RESET log_min_duration_statement",
			"RESET log_statement"} {
			_, _ = c.Exec(ctx, q)
		}
		if err != nil {
			return fmt.Errorf("creating role %s: %w", name, err)
		}
		return nil
	})
}

// quoteLiteral quotes a SQL string literal (the E form when it has backslashes).
func quoteLiteral(v string) string {
	q := "'" + strings.ReplaceAll(v, "'", "''") + "'"
	if strings.Contains(v, `\`) {
		return "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

// runPostBootstrapScript runs post_bootstrap with a DSN (no password) of
// the local superuser connection and PGPASSFILE holding the password.
func (s *Server) runPostBootstrapScript(ctx context.Context) error {
	if s.opts.PostBootstrap == "" {
		return nil
	}
	local := s.LocalConnParams()
	pass := local.Without()
	if pass["host"] == "" || strings.HasPrefix(pass["host"], "/") {
		pass["host"] = "localhost"
	}
	env, err := s.pgpassEnv(pass)
	if err != nil {
		return err
	}
	env = append(env, "PGOPTIONS=-c synchronous_commit=local -c statement_timeout=0")
	dsn := FormatDSN(local.Without("password"), s.major)
	if code := s.runScript(ctx, "post_bootstrap", s.opts.PostBootstrap, []string{dsn}, env); code != 0 {
		return fmt.Errorf("post_bootstrap script %s returned non-zero code %d", s.opts.PostBootstrap, code)
	}
	return nil
}

// finishCustomBootstrap replaces the trust pg_hba.conf with the configured
// one, rewrites the configuration and reloads (or restarts when needed).
func (s *Server) finishCustomBootstrap(ctx context.Context) error {
	s.mu.Lock()
	s.custom, s.keepRC = false, false
	s.mu.Unlock()
	if s.opts.PgHBA == nil {
		if err := os.Remove(s.confPath("pg_hba.conf")); err != nil && !os.IsNotExist(err) {
			return err
		}
		if err := s.RestoreConfigFiles(); err != nil {
			return err
		}
	}
	if err := s.WriteConfig(ctx, RolePrimary, nil); err != nil {
		return err
	}
	if err := s.SaveConfigFiles(); err != nil {
		return err
	}
	_, customHBA := s.opts.Parameters["hba_file"]
	st, _ := s.Observe(ctx)
	if customHBA || len(st.PendingRestart) > 0 {
		return s.Restart(ctx, StopOptions{Mode: StopFast}, StartOptions{Role: RolePrimary})
	}
	if err := s.Reload(); err != nil {
		return err
	}
	time.Sleep(time.Second) // give postgres a moment to re-read pg_hba.conf
	s.closeConn()           // reconnect with the password from now on
	return nil
}
