package etcd3

import (
	"context"
	"errors"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/patroni-go/patroni/internal/cluster"
)

// errNoName: patronictl's store has no member name and must not touch the lock.
var errNoName = errors.New("etcd3: this store has no member name")

// AttemptToAcquireLeader creates the leader key with our name and lease if, and only if,
// nobody holds it (create_revision == 0).
func (s *Store) AttemptToAcquireLeader(ctx context.Context) (bool, error) {
	if s.id.Name == "" {
		return false, errNoName
	}
	k := s.key("leader")
	var ok bool
	err := s.call(ctx, "acquire leader lock", func(ctx context.Context) error {
		return s.withLease(ctx, false, func(lease clientv3.LeaseID) error {
			resp, err := s.cli.Txn(ctx).
				If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
				Then(clientv3.OpPut(k, s.id.Name, clientv3.WithLease(lease))).
				Commit()
			if err == nil {
				ok = resp.Succeeded
			}
			return err
		})
	})
	return ok, err
}

// UpdateLeader renews the lock with a forced keepalive. It succeeds only while the key's
// value is our name: a key that now names somebody else is never touched (a member that
// was frozen longer than ttl must not take the lock back). If our lease was replaced
// (expired, ttl changed) the key is re-pointed to the new lease, and if the key vanished
// it is created again, as Patroni does; both in one transaction.
func (s *Store) UpdateLeader(ctx context.Context, leader *cluster.Leader) (bool, error) {
	if s.id.Name == "" {
		return false, errNoName
	}
	if leader != nil && leader.Name != s.id.Name {
		return false, nil
	}
	var ok bool
	err := s.call(ctx, "update leader lock", func(ctx context.Context) error {
		return s.withLease(ctx, true, func(lease clientv3.LeaseID) error {
			var err error
			ok, err = s.ownOrCreateLeader(ctx, lease)
			return err
		})
	})
	return ok, err
}

// ownOrCreateLeader: if the leader key names us, make sure it carries lease (write only
// when it does not); else create it if absent. Returns whether we hold it afterwards.
func (s *Store) ownOrCreateLeader(ctx context.Context, lease clientv3.LeaseID) (bool, error) {
	k, name := s.key("leader"), s.id.Name
	put := clientv3.OpPut(k, name, clientv3.WithLease(lease))
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.Value(k), "=", name)).
		Then(clientv3.OpTxn([]clientv3.Cmp{clientv3.Compare(clientv3.LeaseValue(k), "=", lease)}, nil, []clientv3.Op{put})).
		Else(clientv3.OpTxn([]clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(k), "=", 0)}, []clientv3.Op{put}, nil)).
		Commit()
	if err != nil {
		return false, err
	}
	if resp.Succeeded {
		return true, nil
	}
	inner := resp.Responses[0].GetResponseTxn()
	return inner != nil && inner.Succeeded, nil
}

// TakeLeader writes the leader key after a fresh bootstrap. Patroni overwrites the key
// unconditionally; we only take it when it is free or already ours, so a lock somebody
// else holds is never stolen (the bootstrap winner is alone in practice).
func (s *Store) TakeLeader(ctx context.Context) (bool, error) {
	if s.id.Name == "" {
		return false, errNoName
	}
	var ok bool
	err := s.call(ctx, "take leader lock", func(ctx context.Context) error {
		return s.withLease(ctx, false, func(lease clientv3.LeaseID) error {
			var err error
			ok, err = s.ownOrCreateLeader(ctx, lease)
			return err
		})
	})
	return ok, err
}

// DeleteLeader releases the lock only if its value still names us.
func (s *Store) DeleteLeader(ctx context.Context, leader *cluster.Leader) error {
	if s.id.Name == "" {
		return errNoName
	}
	if leader != nil && leader.Name != s.id.Name {
		return nil
	}
	k := s.key("leader")
	return s.call(ctx, "delete leader lock", func(ctx context.Context) error {
		_, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.Value(k), "=", s.id.Name)).
			Then(clientv3.OpDelete(k)).
			Commit()
		return err
	})
}

// TouchMember writes members/<name> bound to our lease, skipping the write when etcd
// already holds the same value on the same lease.
func (s *Store) TouchMember(ctx context.Context, data cluster.MemberData) (bool, error) {
	if s.id.Name == "" {
		return false, errNoName
	}
	value, err := data.Encode()
	if err != nil {
		return false, err
	}
	k := s.key("members/" + s.id.Name)
	err = s.call(ctx, "touch member", func(ctx context.Context) error {
		return s.withLease(ctx, false, func(lease clientv3.LeaseID) error {
			if s.unchanged(&s.member, value, lease) {
				return nil
			}
			resp, err := s.cli.Put(ctx, k, string(value), clientv3.WithLease(lease))
			if err == nil {
				s.remember(&s.member, value, lease, resp.Header.Revision)
			}
			return err
		})
	})
	return err == nil, err
}
