package pg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// Role is what the local server is asked to run as.
type Role string

// Roles a server may be started in.
const (
	RolePrimary       Role = "primary"
	RoleReplica       Role = "replica"
	RoleStandbyLeader Role = "standby_leader"
)

// Server controls one PostgreSQL server. Process-changing methods (Start,
// Stop, Restart, Promote, Bootstrap, CreateReplica, Rewind...) must be called
// from one goroutine at a time (the HA executor); Observe, IsRunning, PID and
// Done are safe to call concurrently with them.
type Server struct {
	opts  Options
	bins  Binaries
	major int // from `postgres --version`
	num   int
	log   *slog.Logger

	// PostmasterOutput receives the postmaster's stdout/stderr (default os.Stderr).
	PostmasterOutput io.Writer
	// OnExit, when set, is called (in its own goroutine) whenever a
	// postmaster we started or adopted exits. Set it before Start, or under
	// no concurrent Start.
	OnExit func(pid int)

	mu        sync.Mutex
	proc      *postmaster
	startArgs []string // command-line GUCs the running postmaster got
	recovery  *RecoveryParams
	syncNames *string // synchronous_standby_names override (nil = user value)
	hsFeedOn  bool    // force hot_standby_feedback=on
	gucs      map[string]bool
	custom    bool // a custom bootstrap is running (trust pg_hba until PostBootstrap)
	keepRC    bool // ... and it keeps its own recovery configuration

	connMu sync.Mutex
	conn   *pgx.Conn
}

// New resolves binaries and the server version. It does not touch the data
// directory.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("postgresql.data_dir is required")
	}
	if opts.Name == "" {
		return nil, errors.New("member name is required")
	}
	if opts.Listen == "" {
		return nil, errors.New("postgresql.listen is required")
	}
	if _, _, err := SplitHostPort(opts.Listen, 5432); err != nil {
		return nil, fmt.Errorf("postgresql.listen: %w", err)
	}
	abs, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, err
	}
	opts.DataDir = abs
	if opts.ConfigDir != "" {
		if opts.ConfigDir, err = filepath.Abs(opts.ConfigDir); err != nil {
			return nil, err
		}
	}
	if err := checkPgPass(&opts); err != nil {
		return nil, err
	}
	s := &Server{opts: opts, bins: Binaries{Dir: opts.BinDir, Names: opts.BinName}, log: opts.logger()}
	if s.major, s.num, err = s.bins.ServerVersion(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func checkPgPass(o *Options) error {
	if o.PgPass == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("postgresql.pgpass not set and no home directory: %w", err)
		}
		o.PgPass = filepath.Join(home, "pgpass")
	}
	p, err := filepath.Abs(o.PgPass)
	if err != nil {
		return err
	}
	o.PgPass = p
	if st, err := os.Stat(p); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("%q exists and it's not a file, check your postgresql.pgpass configuration", p)
	}
	return nil
}

// Major is the major version of the postgres binary (15, 16...).
func (s *Server) Major() int { return s.major }

// VersionNum is the full version of the binary (150004).
func (s *Server) VersionNum() int { return s.num }

// Options returns the options the server runs with.
func (s *Server) Options() Options { return s.opts }

// DataDir is the absolute data directory.
func (s *Server) DataDir() string { return s.opts.DataDir }

// Binaries gives access to the resolved executables.
func (s *Server) Binaries() Binaries { return s.bins }

// ConfigFile is the managed postgresql.conf path.
func (s *Server) ConfigFile() string {
	return filepath.Join(s.opts.configDir(), s.opts.baseName()+".conf")
}

// SetOptions replaces the options (e.g. after a configuration reload). Call
// WriteConfig/Reload afterwards to apply them.
func (s *Server) SetOptions(o Options) error {
	o.DataDir, o.ConfigDir = s.opts.DataDir, s.opts.ConfigDir
	if err := checkPgPass(&o); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts = o
	s.bins = Binaries{Dir: o.BinDir, Names: o.BinName}
	s.log = o.logger()
	return nil
}

// command builds an exec.Cmd for a PostgreSQL binary.
func (s *Server) command(ctx context.Context, bin string, args ...string) (*exec.Cmd, error) {
	p, err := s.bins.Path(bin)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, p, args...)
	cmd.Env = os.Environ()
	return cmd, nil
}

// runOutput runs a binary and returns combined output, with the output in
// the error when it fails.
func (s *Server) runOutput(ctx context.Context, env []string, bin string, args ...string) (string, error) {
	cmd, err := s.command(ctx, bin, args...)
	if err != nil {
		return "", err
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", bin, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// DataDirEmpty reports whether the data directory is missing or empty.
func (s *Server) DataDirEmpty() bool {
	entries, err := os.ReadDir(s.opts.DataDir)
	return err != nil || len(entries) == 0
}
