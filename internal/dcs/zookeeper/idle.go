package zookeeper

import "time"

// A ZooKeeper client library pings in the background, so a member whose HA loop is
// frozen (a stuck disk, a debugger, a long stall) would keep its ephemeral leader znode
// for ever; with etcd and Consul the lease or session of such a member runs out because
// only the loop's own calls renew it. To give every backend that safety (FACTS.md: a
// member that wakes from a pause must not find it still holds the lock), a store that
// nobody has called for longer than ttl drops its connection and stops dialing; the
// server then expires the session after another ttl. A healthy loop calls at least every
// loop_wait + 2 x retry_timeout <= ttl, so it never gets there. The next call reconnects
// (and finds a new session if the old one expired).

// enter marks a call in progress (keeping the session alive) and returns its end.
func (s *Store) enter() func() {
	s.idleMu.Lock()
	s.inflight.Add(1)
	s.mu.Lock()
	se := s.sess
	s.mu.Unlock()
	se.link.resume()
	s.idleMu.Unlock()
	return func() {
		s.lastActive.Store(time.Now().UnixNano())
		s.inflight.Add(-1)
	}
}

// idleMonitor suspends the connection of a store that nobody uses.
func (s *Store) idleMonitor() {
	for {
		t := s.currentTiming()
		tick := min(max(t.TTL/8, 50*time.Millisecond), time.Second)
		select {
		case <-s.done:
			return
		case <-time.After(tick):
		}
		s.suspendIfIdle(t.TTL)
	}
}

func (s *Store) suspendIfIdle(ttl time.Duration) {
	s.idleMu.Lock()
	defer s.idleMu.Unlock()
	idle := time.Since(time.Unix(0, s.lastActive.Load()))
	if s.inflight.Load() > 0 || idle <= ttl {
		return
	}
	s.mu.Lock()
	se := s.sess
	s.mu.Unlock()
	if se.link.suspend() {
		s.log.Debug("store idle for longer than ttl: letting the ZooKeeper session lapse", "idle", idle.Round(time.Millisecond))
	}
}
