package pg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrBootstrapFailed wraps every bootstrap failure; the data directory has
// then been renamed to <data_dir>.failed.
var ErrBootstrapFailed = errors.New("failed to bootstrap cluster")

// ErrStillInRecovery: a custom bootstrap (PITR) is still replaying WAL.
var ErrStillInRecovery = errors.New("waiting for end of recovery after bootstrap")

var initdbForbidden = []string{"pgdata", "nosync", "pwfile", "sync-only", "version"}

// InitdbArgs builds the initdb arguments: user options, then --username and
// --pwfile (when a password is set), then the data directory.
func InitdbArgs(o *Options, pwfile string) ([]string, error) {
	args, err := UserOptions("initdb", o.InitdbOptions, initdbForbidden)
	if err != nil {
		return nil, err
	}
	if o.Superuser.Username != "" {
		args = append(args, "--username="+o.Superuser.Username)
	}
	if pwfile != "" {
		args = append(args, "--pwfile="+pwfile)
	}
	return append(args, o.DataDir), nil
}

// CustomBootstrapArgs builds the argument list after the method's command.
func CustomBootstrapArgs(o *Options, m *BootstrapMethod) []string {
	var args []string
	if !m.NoParams {
		args = append(args, "--scope="+o.Scope, "--datadir="+o.DataDir)
	}
	reserved := map[string]bool{"command": true, "no_params": true, "keep_existing_recovery_conf": true,
		"recovery_conf": true, "scope": true, "datadir": true}
	for _, p := range m.Params {
		if !reserved[p.Name] {
			args = append(args, "--"+p.Name+"="+p.Value)
		}
	}
	return args
}

func (s *Server) customBootstrap() *BootstrapMethod {
	if m := s.opts.BootstrapMethod; m != nil && m.Command != "" && m.Name != "initdb" {
		return m
	}
	return nil
}

// Bootstrap initialises a new cluster in an empty data directory (initdb or
// the custom method), writes the configuration, backs it up and starts
// PostgreSQL as a primary. On failure the data directory is renamed to
// <data_dir>.failed and the error wraps ErrBootstrapFailed.
func (s *Server) Bootstrap(ctx context.Context) error {
	if !s.DataDirEmpty() {
		return fmt.Errorf("cannot bootstrap: data directory %s is not empty", s.opts.DataDir)
	}
	var err error
	if m := s.customBootstrap(); m != nil {
		err = s.runCustomBootstrap(ctx, m)
	} else {
		err = s.initdb(ctx)
	}
	if err == nil {
		err = s.finishBootstrap(ctx)
	}
	if err != nil {
		return s.failBootstrap(ctx, err)
	}
	return nil
}

func (s *Server) failBootstrap(ctx context.Context, cause error) error {
	s.log.Error("bootstrap failed", "error", cause)
	if err := s.CancelBootstrap(ctx); err != nil {
		return fmt.Errorf("%w: %v (and cleanup failed: %v)", ErrBootstrapFailed, cause, err)
	}
	return fmt.Errorf("%w: %v", ErrBootstrapFailed, cause)
}

// CancelBootstrap stops postgres (immediate) and renames the data
// directory to <data_dir>.failed.
func (s *Server) CancelBootstrap(ctx context.Context) error {
	if err := s.Stop(ctx, StopOptions{Mode: StopImmediate, SkipBeforeStop: true}); err != nil {
		return err
	}
	s.mu.Lock()
	s.custom = false
	s.mu.Unlock()
	return s.MoveDataDirectory()
}

func (s *Server) initdb(ctx context.Context) error {
	pwfile := ""
	if s.opts.Superuser.Password != "" {
		f, err := os.CreateTemp("", "pwfile")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		_, err = f.WriteString(s.opts.Superuser.Password)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		pwfile = f.Name()
	}
	args, err := InitdbArgs(&s.opts, pwfile)
	if err != nil {
		return err
	}
	s.log.Info("running initdb", "args", strings.Join(args, " "))
	_, err = s.runOutput(ctx, nil, BinInitdb, args...)
	return err
}

func (s *Server) finishBootstrap(ctx context.Context) error {
	if s.customBootstrap() == nil {
		if err := s.WriteConfig(ctx, RolePrimary, nil); err != nil {
			return err
		}
	}
	if err := s.appendBootstrapHBA(); err != nil {
		return err
	}
	if s.customBootstrap() == nil { // the trust pg_hba of a custom bootstrap is not worth a backup
		if err := s.SaveConfigFiles(); err != nil {
			return err
		}
	}
	err := s.Start(ctx, StartOptions{Role: RolePrimary, SkipConfig: s.customBootstrap() != nil})
	if errors.Is(err, ErrStartTimeout) && s.customBootstrap() != nil {
		return nil // a PITR restore may take long; PostBootstrap waits for it
	}
	return err
}

// appendBootstrapHBA appends legacy bootstrap.pg_hba lines when neither
// postgresql.pg_hba nor a custom hba_file is configured.
func (s *Server) appendBootstrapHBA() error {
	if _, custom := s.opts.Parameters["hba_file"]; custom || s.opts.PgHBA != nil || len(s.opts.BootstrapPgHBA) == 0 {
		return nil
	}
	f, err := os.OpenFile(s.confPath("pg_hba.conf"), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString("\n" + strings.Join(s.opts.BootstrapPgHBA, "\n") + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
