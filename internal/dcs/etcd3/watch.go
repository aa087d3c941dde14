package etcd3

import (
	"bytes"
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/patroni-go/patroni/internal/dcs"
)

// Wake makes a pending or the next Watch return at once.
func (s *Store) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Watch sleeps up to timeout. With a leaderVersion (the HA loop passes one when somebody
// else holds the lock) it also returns true when, since our last Load, the leader key's
// value changed or vanished, the config key's value changed, or the leader published a
// new status (replicas follow the leader's WAL position) — the events Patroni's etcd3
// watcher wakes on. Changes that happened between Load and Watch are not missed: the
// watch starts at the revision after the one Load read.
func (s *Store) Watch(ctx context.Context, leaderVersion int64, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var events clientv3.WatchChan
	if leaderVersion != dcs.NoVersion {
		s.mu.Lock()
		start := max(s.loadRev, leaderVersion) + 1
		s.mu.Unlock()
		events = s.cli.Watch(ctx, s.id.Prefix(), clientv3.WithPrefix(), clientv3.WithRev(start), clientv3.WithPrevKV())
	}
	for {
		select {
		case <-s.wake:
			return true
		case <-ctx.Done():
			return false
		case resp, ok := <-events:
			switch {
			case !ok:
				events = nil // closed (client closed); keep waiting for Wake or the timeout
			case resp.CompactRevision != 0:
				return true // history we wanted to see is gone: reload to be safe
			case resp.Err() != nil:
				events = nil
			case s.wakesLoop(resp.Events):
				return true
			}
		}
	}
}

// wakesLoop picks the events that matter to a member that does not hold the lock.
func (s *Store) wakesLoop(evs []*clientv3.Event) bool {
	leader, config := s.key("leader"), s.key("config")
	status, optime := s.key("status"), s.key("optime/leader")
	for _, ev := range evs {
		k := string(ev.Kv.Key)
		if k != leader && k != config && k != status && k != optime {
			continue
		}
		if ev.Type == clientv3.EventTypeDelete {
			if k == leader {
				return true
			}
			continue
		}
		if ev.PrevKv == nil {
			if k != config { // Patroni ignores a config key that appears
				return true
			}
			continue
		}
		if !bytes.Equal(ev.PrevKv.Value, ev.Kv.Value) {
			return true
		}
	}
	return false
}
