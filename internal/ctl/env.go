// Package ctl implements patronictl: the commands, their prompts and their
// output, byte-compatible with Patroni 4.1's patronictl where possible. The
// DCS, the members' REST API, the SQL connection, the editor and the clock
// all come in through Env so every command runs in tests against fakes.
package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/patroni-go/patroni/internal/api/client"
	"github.com/patroni-go/patroni/internal/config"
	"github.com/patroni-go/patroni/internal/dcs"
)

// Version is what `patronictl version` reports: the Patroni release whose
// behaviour this implementation follows.
const Version = "4.1.4"

// MemberAPI is the part of Patroni's REST API patronictl calls. The api
// client (*client.Client) implements it; tests use a fake. Every method
// returns the member's answer whatever its status; err means no answer.
type MemberAPI interface {
	Switchover(ctx context.Context, apiURL string, req client.SwitchoverRequest) (*client.Response, error)
	Failover(ctx context.Context, apiURL string, req client.SwitchoverRequest) (*client.Response, error)
	CancelSwitchover(ctx context.Context, apiURL string) (*client.Response, error)
	Restart(ctx context.Context, apiURL string, req client.RestartRequest) (*client.Response, error)
	CancelRestart(ctx context.Context, apiURL string) (*client.Response, error)
	Reload(ctx context.Context, apiURL string) (*client.Response, error)
	Reinitialize(ctx context.Context, apiURL string, force, fromLeader bool) (*client.Response, error)
	PatchConfig(ctx context.Context, apiURL string, patch map[string]any) (*client.Response, error)
	Get(ctx context.Context, apiURL, endpoint string) (*client.Response, error)
}

var _ MemberAPI = (*client.Client)(nil)

// Querier runs SQL on one member (patronictl query).
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Close(ctx context.Context) error
}

// Env is everything a command touches outside the process. Main fills the
// zero fields with real implementations (see Defaults).
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Environ is the process environment ("K=V"), read for PATRONI_* settings,
	// PATRONICTL_CONFIG_FILE, DCS_URL, EDITOR and PAGER.
	Environ []string
	// HomeDir locates the default ~/.config/patroni/patronictl.yaml.
	HomeDir string

	// OpenStore connects to the DCS for one cluster (scope) and optional
	// Citus group, using the DCS section of cfg in read-only "ctl" mode.
	OpenStore func(cfg *config.Config, scope string, group *int) (dcs.Store, error)
	// NewAPI builds the REST client from the ctl/restapi sections.
	NewAPI func(cfg *config.Config, insecure bool) (MemberAPI, error)
	// Connect opens a PostgreSQL connection from a libpq keyword/value string.
	Connect func(ctx context.Context, connString string) (Querier, error)

	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// IsTTY reports whether stdout is a terminal (pager, screen clearing).
	IsTTY func() bool
	// Run runs an external program (editor, pager) with our stdio and returns
	// its exit code.
	Run      func(ctx context.Context, stdin io.Reader, name string, args ...string) (int, error)
	LookPath func(name string) (string, error)
	// TempDir is where edit-config writes the file it opens in the editor.
	TempDir string
	// RandIntn picks the member for `restart --any`.
	RandIntn func(n int) int
	// MaxWatch stops a watch loop after that many refreshes (tests); 0 = never.
	MaxWatch int
}

// Error is a failure patronictl reports as "Error: <msg>" with exit code 1.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, a ...any) error { return &Error{Msg: fmt.Sprintf(format, a...)} }

// UsageError is a command-line mistake (exit code 2, like click).
type UsageError struct {
	Cmd string // command path, e.g. "patronictl list"
	Msg string
}

func (e *UsageError) Error() string { return e.Msg }

// errAbort is end of input at a prompt: click prints "Aborted!", exit 1.
var errAbort = errors.New("Aborted!")

// ExitCode maps a command's error to patronictl's exit status.
func ExitCode(err error) int {
	var ue *UsageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

// out writes a line to stdout, like click.echo.
func (s *session) echo(format string, a ...any) {
	fmt.Fprintf(s.env.Stdout, format+"\n", a...)
}

// warn logs at WARNING level to stderr, like Python's logging.basicConfig.
func (s *session) warn(format string, a ...any) {
	if s.logLevel > levelWarning {
		return
	}
	ts := s.env.Now().Format("2006-01-02 15:04:05,000")
	fmt.Fprintf(s.env.Stderr, "%s - WARNING - %s\n", ts, fmt.Sprintf(format, a...))
}

// timestamp is patronictl's timestamp(precision): local time with the given
// number of fractional digits (0 drops the fraction and the dot).
func (s *session) timestamp(precision int) string {
	t := s.env.Now()
	base := t.Format("2006-01-02 15:04:05")
	if precision <= 0 {
		return base
	}
	frac := fmt.Sprintf("%06d", t.Nanosecond()/1000)
	return base + "." + frac[:min(precision, 6)]
}
