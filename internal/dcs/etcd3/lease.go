package etcd3

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// refreshDue: keepalives are rate-limited to one per loop_wait, as in Patroni. A loop
// that wakes slightly early still refreshes, so the lease is renewed every loop rather
// than every other one.
func refreshDue(since, loopWait time.Duration) bool { return since >= loopWait*3/4 }

// ensureLease returns our lease, granting one when there is none (first call, ttl
// changed, expired) and sending a keepalive when one is due or force is set.
func (s *Store) ensureLease(ctx context.Context, force bool) (clientv3.LeaseID, error) {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	s.mu.Lock()
	id, gen, renewed, t := s.lease, s.leaseGen, s.leaseRenewed, s.timing
	s.mu.Unlock()

	if id != 0 {
		if !force && !refreshDue(time.Since(renewed), t.LoopWait) {
			return id, nil
		}
		resp, err := s.cli.KeepAliveOnce(ctx, id)
		switch {
		case err == nil && resp.TTL > 0:
			s.storeLease(id, gen)
			return id, nil
		case err != nil && !isLeaseNotFound(err):
			return 0, err
		}
		s.log.Warn("etcd lease expired; granting a new one", "lease", fmt.Sprintf("%x", int64(id)))
	}
	ttl := int64((t.TTL + time.Second - 1) / time.Second)
	g, err := s.cli.Grant(ctx, ttl)
	if err != nil {
		return 0, err
	}
	s.storeLease(g.ID, gen)
	return g.ID, nil
}

// storeLease records a granted or renewed lease unless SetTiming dropped it meanwhile.
func (s *Store) storeLease(id clientv3.LeaseID, gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leaseGen == gen {
		s.lease, s.leaseRenewed = id, time.Now()
	}
}

// dropLease forgets id (etcd says it no longer exists) so the next call grants a new one.
func (s *Store) dropLease(id clientv3.LeaseID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lease == id {
		s.lease = 0
	}
}

// withLease runs f with our lease. When etcd answers "requested lease not found" (the
// lease expired between the keepalive and the write) it grants a new lease and runs f
// once more.
func (s *Store) withLease(ctx context.Context, force bool, f func(clientv3.LeaseID) error) error {
	id, err := s.ensureLease(ctx, force)
	if err != nil {
		return err
	}
	err = f(id)
	if !isLeaseNotFound(err) {
		return err
	}
	s.dropLease(id)
	if id, err = s.ensureLease(ctx, true); err != nil {
		return err
	}
	return f(id)
}
