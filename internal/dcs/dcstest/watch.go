package dcstest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs"
)

// longWait is a Watch timeout no passing case ever reaches.
const longWait = 30 * time.Second

// watchAsync runs st.Watch in the background and returns its result channel.
func watchAsync(ctx context.Context, st dcs.Store, version int64, timeout time.Duration) <-chan bool {
	ch := make(chan bool, 1)
	go func() { ch <- st.Watch(ctx, version, timeout) }()
	return ch
}

func wantWoken(t *testing.T, what string, ch <-chan bool) {
	t.Helper()
	select {
	case woken := <-ch:
		if !woken {
			t.Fatalf("%s: Watch timed out instead of waking", what)
		}
	case <-time.After(longWait + 5*time.Second):
		t.Fatalf("%s: Watch did not return", what)
	}
}

func (s *suite) watchLeaderChange(t *testing.T) {
	scope := s.scope(t)
	a, b := s.open(t, scope, "a"), s.open(t, scope, "b")
	ctx := ctxFor(t)
	ok, err := a.AttemptToAcquireLeader(ctx)
	wantBool(t, "a.AttemptToAcquireLeader", true, ok, err)
	v := load(t, b)

	// Nothing changes: the watch runs to its timeout.
	if b.Watch(ctx, v.Leader.Version, 300*time.Millisecond) {
		t.Fatal("Watch woke although nothing changed")
	}
	// Our own member key and a renewal by the holder are no reason to wake.
	ok, err = b.TouchMember(ctx, memberData(5433, 1))
	wantBool(t, "b.TouchMember", true, ok, err)
	ok, err = a.UpdateLeader(ctx, v.Leader)
	wantBool(t, "a.UpdateLeader", true, ok, err)
	if b.Watch(ctx, v.Leader.Version, 300*time.Millisecond) {
		t.Fatal("Watch woke on a member key write / lock renewal")
	}

	// A change between Load and Watch is not missed.
	noErr(t, "a.DeleteLeader", a.DeleteLeader(ctx, v.Leader))
	wantWoken(t, "leader released before Watch started", watchAsync(ctx, b, v.Leader.Version, longWait))

	ok, err = a.AttemptToAcquireLeader(ctx)
	wantBool(t, "a.AttemptToAcquireLeader again", true, ok, err)
	v = load(t, b)
	wantLeader(t, v, "a")
	ch := watchAsync(ctx, b, v.Leader.Version, longWait)
	time.Sleep(50 * time.Millisecond) // let Watch start waiting (either order must work)
	noErr(t, "a.DeleteLeader", a.DeleteLeader(ctx, v.Leader))
	wantWoken(t, "leader released during Watch", ch)

	// Without a leader version only Wake ends the wait.
	if b.Watch(ctx, dcs.NoVersion, 300*time.Millisecond) {
		t.Fatal("Watch(NoVersion) woke without Wake")
	}
}

func (s *suite) watchWake(t *testing.T) {
	a := s.open(t, s.scope(t), "a")
	ctx := ctxFor(t)
	ch := watchAsync(ctx, a, dcs.NoVersion, longWait)
	time.Sleep(50 * time.Millisecond) // let Watch start waiting (either order must work)
	a.Wake()
	wantWoken(t, "Wake during Watch", ch)

	a.Wake()
	a.Wake()
	if !a.Watch(ctx, dcs.NoVersion, longWait) {
		t.Fatal("Wake before Watch did not make it return at once")
	}
	if a.Watch(ctx, dcs.NoVersion, 200*time.Millisecond) {
		t.Fatal("one Wake woke two Watch calls")
	}
	cctx, cancel := context.WithCancel(ctx)
	ch = watchAsync(cctx, a, dcs.NoVersion, longWait)
	cancel()
	select {
	case <-ch:
	case <-time.After(longWait):
		t.Fatal("Watch ignored its cancelled context")
	}
}

// setTiming: a new ttl wakes the loop, and the holder keeps its lock and member key.
func (s *suite) setTiming(t *testing.T) {
	scope := s.scope(t)
	a, b := s.open(t, scope, "a"), s.open(t, scope, "b")
	ctx := ctxFor(t)
	ok, err := a.AttemptToAcquireLeader(ctx)
	wantBool(t, "a.AttemptToAcquireLeader", true, ok, err)
	ok, err = a.TouchMember(ctx, memberData(5432, 1))
	wantBool(t, "a.TouchMember", true, ok, err)
	v := load(t, a)
	longer := s.timing
	longer.TTL += 2 * time.Second
	a.SetTiming(longer)
	if !a.Watch(ctx, v.Leader.Version, longWait) {
		t.Fatal("a ttl change did not wake Watch")
	}
	ok, err = a.UpdateLeader(ctx, v.Leader)
	wantBool(t, "a.UpdateLeader after SetTiming", true, ok, err)
	ok, err = a.TouchMember(ctx, memberData(5432, 1))
	wantBool(t, "a.TouchMember after SetTiming", true, ok, err)
	after := load(t, b)
	wantLeader(t, after, "a")
	if m := after.Member("a"); m == nil || m.Session != after.Leader.Session {
		t.Fatalf("member a %+v does not share the leader's session %q", m, after.Leader.Session)
	}
}

// serverStopAndRestart: while the server is down every call fails with ErrUnreachable
// within about retry_timeout; once it is back the same store works again.
func (s *suite) serverStopAndRestart(t *testing.T, ctl ServerControl) {
	scope := s.scope(t)
	a := s.open(t, scope, "a")
	ctx := ctxFor(t)
	ok, err := a.AttemptToAcquireLeader(ctx)
	wantBool(t, "a.AttemptToAcquireLeader", true, ok, err)
	v := load(t, a)

	ctl.Stop()
	restarted := false
	defer func() {
		if !restarted {
			ctl.Restart()
		}
	}()
	calls := map[string]func() error{
		"Load":                   func() error { _, err := a.Load(ctx); return err },
		"AttemptToAcquireLeader": func() error { _, err := a.AttemptToAcquireLeader(ctx); return err },
		"UpdateLeader":           func() error { _, err := a.UpdateLeader(ctx, v.Leader); return err },
		"TouchMember":            func() error { _, err := a.TouchMember(ctx, memberData(5432, 2)); return err },
		"SetConfig":              func() error { _, err := a.SetConfig(ctx, []byte(`{}`), dcs.NoVersion); return err },
		"WriteStatus":            func() error { return a.WriteStatus(ctx, statusAt(99)) },
	}
	limit := s.timing.RetryTimeout + 3*time.Second // a bound against hangs, not a goal
	var wg sync.WaitGroup
	var mu sync.Mutex
	for name, call := range calls {
		wg.Go(func() {
			start := time.Now()
			err := call()
			took := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case !errors.Is(err, dcs.ErrUnreachable):
				t.Errorf("%s with the server down: err = %v, want ErrUnreachable", name, err)
			case took > limit:
				t.Errorf("%s with the server down took %v (retry_timeout %v)", name, took, s.timing.RetryTimeout)
			default:
				t.Logf("%s with the server down: %v after %v", name, err, took.Round(time.Millisecond))
			}
		})
	}
	wg.Wait()
	if a.Watch(ctx, v.Leader.Version, 300*time.Millisecond) {
		t.Log("Watch with the server down woke (allowed: connection events may wake it)")
	}

	ctl.Restart()
	restarted = true
	eventually(t, 30*time.Second, "store works again after the restart", func() bool {
		v, err := a.Load(ctx)
		if err != nil {
			return false
		}
		if v.LeaderName() == "a" {
			ok, err = a.UpdateLeader(ctx, v.Leader)
		} else {
			ok, err = a.AttemptToAcquireLeader(ctx)
		}
		return err == nil && ok
	})
	ok, err = a.TouchMember(ctx, memberData(5432, 3))
	wantBool(t, "TouchMember after restart", true, ok, err)
	if v := load(t, a); v.LeaderName() != "a" || v.Member("a") == nil {
		t.Fatalf("after restart: leader %q, member a %v", v.LeaderName(), v.Member("a"))
	}
}

func statusAt(lsn int64) cluster.Status { return cluster.Status{Optime: lsn, Present: true} }
