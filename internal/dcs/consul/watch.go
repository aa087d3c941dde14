package consul

import (
	"context"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/patroni-go/patroni/internal/dcs"
)

// Wake makes a pending or the next Watch return at once.
func (s *Store) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Watch sleeps up to timeout. With a leaderVersion (the leader key's ModifyIndex, which
// the HA loop passes when somebody else holds the lock) it runs a blocking query on the
// leader key and returns true as soon as Consul reports another index: the key changed
// or vanished, also between Load and Watch. Renewals do not change the index, so they
// do not wake it. On errors it falls back to waiting for Wake or the timeout. As in
// Patroni, a Watch makes the next TouchMember renew the session.
func (s *Store) Watch(ctx context.Context, leaderVersion int64, timeout time.Duration) bool {
	s.mu.Lock()
	s.renewed = time.Time{}
	s.mu.Unlock()
	select {
	case <-s.wake:
		return true
	default:
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var changed chan bool
	if leaderVersion != dcs.NoVersion && leaderVersion > 0 {
		changed = make(chan bool, 1)
		go func() { changed <- s.watchLeader(ctx, uint64(leaderVersion)) }()
	}
	for {
		select {
		case <-s.wake:
			return true
		case <-ctx.Done():
			return false
		case woke := <-changed:
			if woke {
				return true
			}
			changed = nil
		}
	}
}

// watchLeader blocks on GET <leader>?index=<version>&wait=<remaining> until the index
// differs, ctx ends, or a request fails (false).
func (s *Store) watchLeader(ctx context.Context, version uint64) bool {
	k := s.key("leader")
	for {
		deadline, _ := ctx.Deadline()
		wait := time.Until(deadline)
		if wait < 10*time.Millisecond {
			return false
		}
		q := &api.QueryOptions{WaitIndex: version, WaitTime: wait}
		_, meta, err := s.cli.KV().Get(k, q.WithContext(ctx))
		if err != nil {
			if ctx.Err() == nil {
				s.log.Debug("watch on the leader key failed", "error", err)
			}
			return false
		}
		if meta != nil && meta.LastIndex != version {
			return true
		}
	}
}
