package pg

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNoReplicaMethod: no configured method can work (e.g. no source and no
// method flagged no_leader).
var ErrNoReplicaMethod = errors.New("no replica creation method can be used")

var basebackupForbidden = []string{"pgdata", "format", "wal-method", "xlog-method", "gzip",
	"version", "dbname", "host", "port", "username", "password"}

// BasebackupArgs builds pg_basebackup's arguments for dsn (no password).
// Before PG 15 --compress is forbidden; from 15 only server-side compression.
func BasebackupArgs(o *Options, major int, dsn string) ([]string, error) {
	forbidden := basebackupForbidden
	if major < 15 {
		forbidden = append(forbidden[:len(forbidden):len(forbidden)], "compress")
	}
	user, err := UserOptions("basebackup", o.BasebackupOptions, forbidden)
	if err != nil {
		return nil, err
	}
	args := []string{"--pgdata=" + o.DataDir, "-X", "stream", "--dbname=" + dsn}
	for _, a := range user {
		if strings.HasPrefix(a, "--compress=") && !strings.HasPrefix(a, "--compress=server") {
			return nil, errors.New("compress option for basebackup must use server-side compression")
		}
		args = append(args, a)
	}
	return args, nil
}

// CustomReplicaArgs builds the arguments of a custom replica method.
func CustomReplicaArgs(o *Options, m ReplicaMethod, connstring string) []string {
	var args []string
	for _, p := range m.Params {
		args = append(args, "--"+p.Name+"="+p.Value)
	}
	if !m.NoParams {
		args = append(args, "--scope="+o.Scope, "--role=replica", "--datadir="+o.DataDir,
			"--connstring="+connstring)
	}
	return args
}

// replicaMethods picks the methods to try: the source's (standby cluster),
// else create_replica_methods, default basebackup; without a source only
// no_leader methods.
func (s *Server) replicaMethods(src *Upstream, fromLeader bool) []string {
	methods := s.opts.CreateReplicaMethods
	if src != nil && src.Remote && len(src.CreateReplicaMethods) > 0 {
		methods = src.CreateReplicaMethods
	}
	haveSource := src != nil && len(src.Conn) > 0
	// "From the leader" means basebackup from it; without a source there is nothing to
	// take a base backup from, so the no_leader methods are still tried.
	if len(methods) == 0 || (fromLeader && haveSource) {
		methods = []string{"basebackup"}
	}
	if haveSource {
		return methods
	}
	var out []string
	for _, m := range methods {
		if m != "basebackup" && s.opts.ReplicaMethods[m].NoLeader {
			out = append(out, m)
		}
	}
	return out
}

// CreateReplica clones the data directory from src with the configured
// methods in order until one succeeds. A failed attempt leaves no data
// directory behind (unless the method says keep_data). On success the
// backed-up configuration files are restored; start it with Start/Follow.
func (s *Server) CreateReplica(ctx context.Context, src *Upstream, fromLeader bool) error {
	if s.IsRunning() {
		return ErrAlreadyRunning
	}
	methods := s.replicaMethods(src, fromLeader)
	if len(methods) == 0 {
		return ErrNoReplicaMethod
	}
	var env []string
	connstring := ""
	if src != nil && len(src.Conn) > 0 {
		p := src.Conn.WithUser(s.opts.Replication)
		var err error
		if env, err = s.pgpassEnv(p); err != nil {
			return err
		}
		connstring = FormatDSN(p.Without("password"), s.major)
	}
	var errs []error
	for _, m := range methods {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var err error
		if m == "basebackup" {
			err = s.basebackup(ctx, connstring, env)
		} else {
			err = s.customReplica(ctx, m, connstring, env)
		}
		if err == nil {
			s.log.Info("replica has been created", "method", m)
			return s.postRestore()
		}
		s.log.Error("Error creating replica", "method", m, "error", err)
		errs = append(errs, fmt.Errorf("%s: %w", m, err))
	}
	return fmt.Errorf("creating replica failed: %w", errors.Join(errs...))
}

// BasebackupRetryDelay is the pause between the two pg_basebackup attempts.
var BasebackupRetryDelay = 5 * time.Second

func (s *Server) basebackup(ctx context.Context, dsn string, env []string) error {
	args, err := BasebackupArgs(&s.opts, s.major, dsn)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		if !s.DataDirEmpty() {
			if err = s.RemoveDataDirectory(); err != nil {
				return err
			}
		}
		_, err = s.runOutput(ctx, env, BinPgBasebackup, args...)
		if err == nil {
			return nil
		}
		s.log.Error("Error when fetching backup", "error", err)
		if attempt >= 1 || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(BasebackupRetryDelay):
		}
	}
	if rmErr := s.RemoveDataDirectory(); rmErr != nil {
		s.log.Error("cannot clean data directory after failed pg_basebackup", "error", rmErr)
	}
	return err
}

func (s *Server) customReplica(ctx context.Context, name, connstring string, env []string) error {
	m := s.opts.ReplicaMethods[name]
	if !s.DataDirEmpty() && !m.KeepData {
		if err := s.RemoveDataDirectory(); err != nil {
			return err
		}
	}
	cmd := m.Command
	if cmd == "" {
		cmd = name
	}
	code := s.runScript(ctx, "replica method "+name, cmd, CustomReplicaArgs(&s.opts, m, connstring), env)
	if code == 0 {
		return nil
	}
	if !m.KeepData && !s.DataDirEmpty() {
		if err := s.RemoveDataDirectory(); err != nil {
			s.log.Error("cannot clean data directory after failed replica method", "error", err)
		}
	}
	return fmt.Errorf("%s exited with code %d", cmd, code)
}

// Reinitialize stops the server, wipes the data directory and clones it
// again from src; the caller starts it afterwards (Start/Follow).
func (s *Server) Reinitialize(ctx context.Context, src *Upstream, fromLeader bool) error {
	if err := s.Stop(ctx, StopOptions{Mode: StopImmediate}); err != nil {
		return err
	}
	if err := s.RemoveDataDirectory(); err != nil {
		return err
	}
	return s.CreateReplica(ctx, src, fromLeader)
}
