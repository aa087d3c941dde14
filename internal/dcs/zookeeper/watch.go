package zookeeper

import (
	"context"
	"strconv"
	"time"

	"github.com/patroni-go/patroni/internal/dcs"
)

// Wake makes a pending or the next Watch return at once.
func (s *Store) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// signal records a watch event or connection trouble of session se (events of replaced
// sessions are ignored).
func (s *Store) signal(se *session) {
	if !s.current(se) {
		return
	}
	select {
	case s.events <- struct{}{}:
	default:
	}
}

// clearEvents forgets events seen before a Load: the Load reads their outcome (ZooKeeper
// delivers a watch event before the new data it announces).
func (s *Store) clearEvents() {
	select {
	case <-s.events:
	default:
	}
}

// Watch sleeps up to timeout. With a leaderVersion (the HA loop passes one when somebody
// else holds the lock) it also returns true when, since the last Load, the leader or
// config znode changed, was created or deleted, or the connection had trouble; like
// Patroni it then waits half a second longer than asked. Without one only Wake (or a ttl
// change) ends the wait early.
func (s *Store) Watch(ctx context.Context, leaderVersion int64, timeout time.Duration) bool {
	defer s.enter()()
	var events <-chan struct{}
	if leaderVersion != dcs.NoVersion {
		events = s.events
		timeout += 500 * time.Millisecond
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-s.wake:
		return true
	case <-events:
		return true
	case <-timer.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func parseSession(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
