// Package dcstest is the contract every dcs.Store backend passes against a real server:
// lock exclusivity and expiry, owner-only renewal and release, compare-and-set on the
// versioned keys, the initialize race, member keys, watches, and behaviour while the
// server is down. A backend's test calls Run with a constructor and a way to stop and
// restart its server.
package dcstest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs"
)

// NewStore opens a store for id with the given timing. The suite closes it (Close may be
// called twice; the second call's error is ignored).
type NewStore func(t *testing.T, id dcs.Identity, timing dcs.Timing) dcs.Store

// ServerControl stops and restarts the backend's server. Restart returns once the
// server accepts connections again and keeps its data where the server does.
type ServerControl interface {
	Stop()
	Restart()
}

// ControlFuncs adapts two functions to ServerControl.
type ControlFuncs struct{ StopFunc, RestartFunc func() }

func (c ControlFuncs) Stop()    { c.StopFunc() }
func (c ControlFuncs) Restart() { c.RestartFunc() }

// Options tunes the suite to a backend's limits.
type Options struct {
	// Timing every store gets; zero means DefaultTiming. TTL is the lock lifetime the
	// expiry cases wait for, so keep it as small as the server allows.
	Timing dcs.Timing
	// SkipServerControl leaves out the stop/restart case (ctl may then be nil).
	SkipServerControl bool
}

// DefaultTiming is short enough to keep the suite fast and above the minimum lease TTL
// of etcd's default configuration.
var DefaultTiming = dcs.Timing{TTL: 3 * time.Second, LoopWait: time.Second, RetryTimeout: 2 * time.Second}

// Run runs the whole contract with DefaultTiming.
func Run(t *testing.T, newStore NewStore, ctl ServerControl) {
	RunWith(t, newStore, ctl, Options{})
}

// RunWith runs the contract with backend-specific options. Independent cases run in
// parallel, each in its own scope; the server stop/restart case runs alone at the end.
func RunWith(t *testing.T, newStore NewStore, ctl ServerControl, opts Options) {
	if opts.Timing == (dcs.Timing{}) {
		opts.Timing = DefaultTiming
	}
	s := &suite{newStore: newStore, timing: opts.Timing, run: rand.Uint32()}
	t.Run("contract", func(t *testing.T) {
		for _, c := range s.cases() {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				c.f(t)
			})
		}
	})
	if !opts.SkipServerControl && ctl != nil {
		t.Run("ServerStopAndRestart", func(t *testing.T) { s.serverStopAndRestart(t, ctl) })
	}
}

type suite struct {
	newStore NewStore
	timing   dcs.Timing
	run      uint32
}

type testCase struct {
	name string
	f    func(t *testing.T)
}

func (s *suite) cases() []testCase {
	return []testCase{
		{"LockExclusive", s.lockExclusive},
		{"LockExpiresWithHolder", s.lockExpires},
		{"UpdateLeaderOwnerOnly", s.updateLeaderOwnerOnly},
		{"StaleOwnerCannotRenew", s.staleOwnerCannotRenew},
		{"DeleteLeaderOwnOnly", s.deleteLeaderOwnOnly},
		{"ConfigCAS", s.configCAS},
		{"FailoverSetAndClear", s.failoverCAS},
		{"SyncCAS", s.syncCAS},
		{"InitializeRace", s.initializeRace},
		{"CancelInitialization", s.cancelInitialization},
		{"TouchMember", s.touchMember},
		{"HistoryStatusFailsafe", s.historyStatusFailsafe},
		{"DeleteCluster", s.deleteCluster},
		{"WatchLeaderChange", s.watchLeaderChange},
		{"WatchWake", s.watchWake},
		{"SetTiming", s.setTiming},
	}
}

// scope gives every test its own cluster name, unique per run of the suite.
func (s *suite) scope(t *testing.T) string {
	name := t.Name()
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	return fmt.Sprintf("%s-%08x", strings.ToLower(name), s.run)
}

// open returns a store for member name in scope, closed when the test ends.
func (s *suite) open(t *testing.T, scope, name string) dcs.Store {
	t.Helper()
	st := s.newStore(t, dcs.Identity{Namespace: "/dcstest", Scope: scope, Name: name}, s.timing)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func load(t *testing.T, st dcs.Store) *cluster.View {
	t.Helper()
	v, err := st.Load(ctxFor(t))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return v
}

func must[T any](t *testing.T, what string, v T, err error) T {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantBool(t *testing.T, what string, want bool, got bool, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func wantLeader(t *testing.T, v *cluster.View, name string) {
	t.Helper()
	if got := v.LeaderName(); got != name {
		t.Fatalf("leader = %q, want %q", got, name)
	}
}

// eventually polls cond until it holds or limit passes; the limit is a bound on a hang,
// not a timing goal.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %v", what, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func memberData(port int, lsn int64) cluster.MemberData {
	tl := int64(1)
	return cluster.MemberData{
		ConnURL: fmt.Sprintf("postgres://127.0.0.1:%d/postgres", port),
		APIURL:  fmt.Sprintf("http://127.0.0.1:%d/patroni", port+3000),
		State:   "running", Role: cluster.RoleReplica, Version: "4.1.4",
		XLogLocation: &lsn, Timeline: &tl, Tags: map[string]any{"nofailover": true},
	}
}
