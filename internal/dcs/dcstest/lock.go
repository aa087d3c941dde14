package dcstest

import (
	"fmt"
	"testing"

	"github.com/patroni-go/patroni/internal/cluster"
)

func (s *suite) lockExclusive(t *testing.T) {
	scope := s.scope(t)
	a, b := s.open(t, scope, "a"), s.open(t, scope, "b")
	ctx := ctxFor(t)
	ok, err := a.AttemptToAcquireLeader(ctx)
	wantBool(t, "a.AttemptToAcquireLeader", true, ok, err)
	ok, err = b.AttemptToAcquireLeader(ctx)
	wantBool(t, "b.AttemptToAcquireLeader while a holds the lock", false, ok, err)
	ok, err = b.TakeLeader(ctx)
	wantBool(t, "b.TakeLeader while a holds the lock", false, ok, err)
	ok, err = a.AttemptToAcquireLeader(ctx)
	wantBool(t, "a.AttemptToAcquireLeader a second time", false, ok, err)

	v := load(t, b)
	wantLeader(t, v, "a")
	if v.Leader.Session == "" || v.Leader.Version == 0 {
		t.Fatalf("leader key without session/version: %+v", *v.Leader)
	}
	if v.Leader.Member != nil {
		t.Fatalf("leader member = %+v, want nil (a has no member key)", v.Leader.Member)
	}
	ok, err = a.TouchMember(ctx, memberData(5432, 1))
	wantBool(t, "a.TouchMember", true, ok, err)
	if v = load(t, b); v.Leader.Member == nil || v.Leader.Member.ConnURL != "postgres://127.0.0.1:5432/postgres" {
		t.Fatalf("leader member after touch = %+v", v.Leader.Member)
	}
}

// lockExpires: a holder that stops refreshing (here: closes without releasing, as a
// crashed process would) loses the lock and its member key after ttl.
func (s *suite) lockExpires(t *testing.T) {
	scope := s.scope(t)
	a, b := s.open(t, scope, "a"), s.open(t, scope, "b")
	ctx := ctxFor(t)
	ok, err := a.AttemptToAcquireLeader(ctx)
	wantBool(t, "a.AttemptToAcquireLeader", true, ok, err)
	ok, err = a.TouchMember(ctx, memberData(5432, 1))
	wantBool(t, "a.TouchMember", true, ok, err)
	if v := load(t, b); v.LeaderName() != "a" || v.Member("a") == nil {
		t.Fatalf("before expiry: leader %q, member a %v", v.LeaderName(), v.Member("a"))
	}
	_ = a.Close()
	eventually(t, 3*s.timing.TTL+s.timing.RetryTimeout, "lock and member key of a expire", func() bool {
		v := load(t, b)
		return v.IsUnlocked() && v.Member("a") == nil
	})
	ok, err = b.AttemptToAcquireLeader(ctx)
	wantBool(t, "b.AttemptToAcquireLeader after a expired", true, ok, err)
	wantLeader(t, load(t, b), "b")
}

func (s *suite) updateLeaderOwnerOnly(t *testing.T) {
	scope := s.scope(t)
	a, b := s.open(t, scope, "a"), s.open(t, scope, "b")
	ctx := ctxFor(t)
	ok, err := a.AttemptToAcquireLeader(ctx)
	wantBool(t, "a.AttemptToAcquireLeader", true, ok, err)
	v := load(t, b)
	ok, err = b.UpdateLeader(ctx, v.Leader)
	wantBool(t, "b.UpdateLeader(a's leader)", false, ok, err)
	ok, err = b.UpdateLeader(ctx, &cluster.Leader{Name: "b"})
	wantBool(t, "b.UpdateLeader(forged leader b)", false, ok, err)
	ok, err = b.UpdateLeader(ctx, nil)
	wantBool(t, "b.UpdateLeader(nil)", false, ok, err)
	after := load(t, a)
	wantLeader(t, after, "a")
	if after.Leader.Session != v.Leader.Session {
		t.Fatalf("leader session changed from %q to %q by b's attempts", v.Leader.Session, after.Leader.Session)
	}
	for i := range 3 {
		ok, err = a.UpdateLeader(ctx, after.Leader)
		wantBool(t, fmt.Sprint("a.UpdateLeader #", i), true, ok, err)
	}
	wantLeader(t, load(t, b), "a")
}

// staleOwnerCannotRenew is the lesson of FACTS.md: a holder frozen longer than ttl
// wakes with a view that says it holds the lock; somebody else took it meanwhile. Its
// UpdateLeader must fail and leave the new holder's key alone.
func (s *suite) staleOwnerCannotRenew(t *testing.T) {
	scope := s.scope(t)
	a, b := s.open(t, scope, "a"), s.open(t, scope, "b")
	ctx := ctxFor(t)
	ok, err := a.AttemptToAcquireLeader(ctx)
	wantBool(t, "a.AttemptToAcquireLeader", true, ok, err)
	stale := load(t, a)
	// a is "frozen": it makes no calls, so nothing refreshes its lease.
	eventually(t, 3*s.timing.TTL+s.timing.RetryTimeout, "a's lock expires", func() bool {
		ok, err := b.AttemptToAcquireLeader(ctx)
		return err == nil && ok
	})
	ok, err = a.UpdateLeader(ctx, stale.Leader)
	wantBool(t, "a.UpdateLeader after b took the lock", false, ok, err)
	ok, err = a.TakeLeader(ctx)
	wantBool(t, "a.TakeLeader after b took the lock", false, ok, err)
	noErr(t, "a.DeleteLeader", a.DeleteLeader(ctx, stale.Leader))
	v := load(t, b)
	wantLeader(t, v, "b")
	ok, err = b.UpdateLeader(ctx, v.Leader)
	wantBool(t, "b.UpdateLeader", true, ok, err)
}

func (s *suite) deleteLeaderOwnOnly(t *testing.T) {
	scope := s.scope(t)
	a, b := s.open(t, scope, "a"), s.open(t, scope, "b")
	ctx := ctxFor(t)
	ok, err := a.AttemptToAcquireLeader(ctx)
	wantBool(t, "a.AttemptToAcquireLeader", true, ok, err)
	v := load(t, b)
	noErr(t, "b.DeleteLeader(a's leader)", b.DeleteLeader(ctx, v.Leader))
	noErr(t, "b.DeleteLeader(forged leader b)", b.DeleteLeader(ctx, &cluster.Leader{Name: "b", Version: v.Leader.Version, Session: v.Leader.Session}))
	noErr(t, "b.DeleteLeader(nil)", b.DeleteLeader(ctx, nil))
	wantLeader(t, load(t, b), "a")
	noErr(t, "a.DeleteLeader", a.DeleteLeader(ctx, v.Leader))
	if v := load(t, b); !v.IsUnlocked() {
		t.Fatalf("leader %q after a released the lock", v.LeaderName())
	}
	ok, err = b.AttemptToAcquireLeader(ctx)
	wantBool(t, "b.AttemptToAcquireLeader after release", true, ok, err)
}
