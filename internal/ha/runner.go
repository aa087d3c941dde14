package ha

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/patroni-go/patroni/internal/api"
	"github.com/patroni-go/patroni/internal/api/client"
	"github.com/patroni-go/patroni/internal/callback"
	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs"
	"github.com/patroni-go/patroni/internal/pg"
	"github.com/patroni-go/patroni/internal/watchdog"
)

// ConfigSource is the daemon's configuration layer as the loop sees it.
type ConfigSource interface {
	// Apply folds the view's dynamic configuration in when its modify version changed
	// (view may be nil when the DCS is unreachable) and returns the settings for this
	// cycle. pgChanged reports that PostgreSQL's configuration changed: the runner
	// rewrites it and reloads a running server.
	Apply(view *cluster.View) (s Settings, pgChanged bool)
	// DynamicJSON is this node's dynamic configuration, written to the config key by
	// the bootstrap leader and by a leader that finds the key missing.
	DynamicJSON() []byte
	// Member is the static part of the member key.
	Member() MemberStatic
	// ReloadLocal re-reads the local configuration files (SIGHUP, POST /reload);
	// pgChanged as for Apply.
	ReloadLocal() (pgChanged bool, err error)
}

// MemberStatic is what the member key carries regardless of PostgreSQL's state.
type MemberStatic struct {
	ConnURL, APIURL, ProxyURL string
	Tags                      map[string]any // published tags
	Version                   string
}

// Deps are the parts a Runner drives.
type Deps struct {
	Name      string
	Scope     string
	Store     dcs.Store
	PG        *pg.Server
	Callbacks *callback.Runner
	Peers     *client.Client
	Publisher *api.Publisher
	Config    ConfigSource
	Logger    *slog.Logger
	// Watchdog, when set, is armed while we lead and kicked every cycle.
	Watchdog *watchdog.Watchdog
}

// Runner is the imperative shell around Decide: each cycle it reads the DCS and
// PostgreSQL, runs Decide's phases, carries out the actions, and publishes the status
// the REST API serves.
type Runner struct {
	d   Deps
	log *slog.Logger

	wake     chan struct{}
	reloadCh chan struct{}

	// lockOps serializes our own leader-key operations: a renewal racing a background
	// release must see the release.
	lockOps sync.Mutex

	mu         sync.Mutex // guards everything below; tasks and API calls share it
	role       cluster.Role
	state      string
	stateSince time.Time
	memory     Memory
	settings   Settings
	task       *task // the background task slot, nil when idle
	completed  []TaskResult
	response   ResponseState
	prePromote bool
	cbFired    bool
	following  string // whom the recovery configuration we wrote streams from
	followURL  string // that member's conn_url when we wrote it
	sysid      string
	restart    *ScheduledRestart
	restartReq *api.RestartRequest
	failsafe   *FailsafeSender
	failSlots  map[string]int64
	view       *cluster.View
	viewTime   time.Time
	pgObs      pg.State
	pgObsOK    bool
	obsTime    time.Time // when pgObs was read
	nextRun    time.Time
	lastStatus *cluster.Status
	lastFS     cluster.Failsafe
	checkpoint bool    // post-promote checkpoint done
	ssn        *string // synchronous_standby_names override last applied (nil: the user's)
	// released counts voluntary lock releases; a cycle that read the view before a
	// release (a background demotion) must not renew the lock it saw.
	released      int
	cycleReleased int // released as of the start of the current cycle
	// leaderUntil is Patroni's is_leader(): the last successful lock operation's start
	// plus ttl; zero after a release, a failed renewal, or a read showing another holder.
	leaderUntil time.Time
	stopping    bool
	exitCode    int
	exitReason  string
	exited      chan struct{}

	// --- replication slot management (runner_slots*.go) ---
	slotMgr slotState
}

// New builds a Runner; Run starts it.
func New(d Deps) *Runner {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return &Runner{
		d: d, log: d.Logger,
		wake:       make(chan struct{}, 1),
		reloadCh:   make(chan struct{}, 1),
		role:       cluster.RoleUninitialized,
		state:      "stopped",
		stateSince: time.Now(),
		checkpoint: true,
		exited:     make(chan struct{}),
	}
}

// ErrExit is returned by Run when a decision ended the process (exit code in ExitCode).
var ErrExit = errors.New("patroni exits")

// Wake makes the loop run a cycle now.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
	r.d.Store.Wake()
}

// RequestReload schedules a reload of the local configuration (SIGHUP, POST /reload).
func (r *Runner) RequestReload() {
	select {
	case r.reloadCh <- struct{}{}:
	default:
	}
	r.Wake()
}

// ExitCode is the process exit code a fatal decision asked for.
func (r *Runner) ExitCode() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exitCode
}

// Run executes HA cycles until ctx is cancelled (then it shuts down like Patroni on
// SIGTERM) or a decision ends the process (ErrExit).
func (r *Runner) Run(ctx context.Context) error {
	r.startup(ctx)
	next := time.Now()
	for {
		select {
		case <-r.reloadCh:
			r.reloadLocal(ctx)
		default:
		}
		// A cycle always finishes, even when shutdown was asked for meanwhile: its DCS and
		// PostgreSQL operations must not fail half-way because of our own signal.
		if err := r.cycle(context.WithoutCancel(ctx)); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return r.shutdown()
		}
		s := r.currentSettings()
		next = next.Add(s.LoopWait)
		now := time.Now()
		if next.Before(now) {
			r.log.Info("Loop time exceeded, rescheduling immediately.")
			next = now
			continue
		}
		r.setNextRun(next)
		if r.sleep(ctx, next) {
			next = time.Now()
		}
		if ctx.Err() != nil {
			return r.shutdown()
		}
	}
}

// sleep waits until next, waking early on a DCS watch event, an internal wake-up or
// the postmaster's death; it reports whether it woke early.
func (r *Runner) sleep(ctx context.Context, next time.Time) bool {
	wctx, cancel := context.WithDeadline(ctx, next)
	defer cancel()
	woke := make(chan bool, 1)
	go func() {
		woke <- r.d.Store.Watch(wctx, r.watchVersion(), time.Until(next))
	}()
	select {
	case w := <-woke:
		return w && ctx.Err() == nil && time.Now().Before(next)
	case <-r.wake:
		cancel()
		<-woke
		return true
	case <-r.postmasterDied():
		cancel()
		<-woke
		return true
	case <-ctx.Done():
		cancel()
		<-woke
		return false
	}
}

// watchVersion is the leader version to watch: only while no task runs and someone
// else holds the lock (dcs.md §6).
func (r *Runner) watchVersion() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.task != nil || r.view == nil || r.view.IsUnlocked() || r.view.HasLock(r.d.Name) {
		return dcs.NoVersion
	}
	return r.view.Leader.Version
}

// postmasterDied fires when the running postmaster exits. It is already closed when the
// postmaster died during the cycle that just ended (we still believe it runs), so that
// death is handled now, not loop_wait later; nil when no postmaster is expected.
func (r *Runner) postmasterDied() <-chan struct{} {
	if r.d.PG.IsRunning() {
		return r.d.PG.Done()
	}
	r.mu.Lock()
	expected := r.task == nil && (r.state == "running" || r.state == "starting")
	r.mu.Unlock()
	if expected {
		return r.d.PG.Done() // closed: no postmaster runs
	}
	return nil
}

func (r *Runner) currentSettings() Settings {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.settings
}

func (r *Runner) setNextRun(t time.Time) {
	r.mu.Lock()
	r.nextRun = t
	r.mu.Unlock()
	r.publish()
}

func (r *Runner) setState(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != s {
		r.state, r.stateSince = s, time.Now()
	}
}

func (r *Runner) setRole(role cluster.Role) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.role = role
}

func (r *Runner) getRole() cluster.Role {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.role
}

// opCtx bounds one DCS operation by retry_timeout.
func (r *Runner) opCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	t := r.currentSettings().RetryTimeout
	if t <= 0 {
		t = 10 * time.Second
	}
	return context.WithTimeout(ctx, t)
}
