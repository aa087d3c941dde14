package zookeeper

import (
	"context"
	"errors"
	"path"

	"github.com/go-zookeeper/zk"

	"github.com/patroni-go/patroni/internal/cluster"
)

// errNoName: lock and member operations need a member name (patronictl has none).
var errNoName = errors.New("zookeeper: this store has no member name")

// AttemptToAcquireLeader creates the ephemeral leader znode with our name; an existing
// one means somebody holds the lock (false).
func (s *Store) AttemptToAcquireLeader(ctx context.Context) (bool, error) {
	if s.id.Name == "" {
		return false, errNoName
	}
	defer s.enter()()
	const op = "acquire leader lock"
	_, err := run(ctx, s, op, func(se *session) (struct{}, error) {
		return struct{}{}, s.create(se.conn, s.path("leader"), []byte(s.id.Name), zk.FlagEphemeral)
	})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, zk.ErrNodeExists):
		s.log.Info("Could not take out TTL lock")
		return false, nil
	}
	return false, fail(op, err)
}

// TakeLeader is AttemptToAcquireLeader, as in Patroni's ZooKeeper backend: it never
// overwrites a leader znode.
func (s *Store) TakeLeader(ctx context.Context) (bool, error) { return s.AttemptToAcquireLeader(ctx) }

// UpdateLeader confirms we still hold the lock. The ephemeral znode lives with our
// session, so usually nothing is written; but the znode is read to check it still names
// us and belongs to our session. A znode with our name from an older session of ours
// (ttl change, session expired and renewed) is moved to the current session atomically
// (version-checked delete + create in one multi); a vanished one is created again. A
// znode naming somebody else is never touched: false.
func (s *Store) UpdateLeader(ctx context.Context, leader *cluster.Leader) (bool, error) {
	if leader == nil || leader.Name != s.id.Name || s.id.Name == "" {
		return false, nil
	}
	defer s.enter()()
	const op = "update leader lock"
	ok, err := run(ctx, s, op, s.renewLeader)
	return ok, fail(op, err)
}

func (s *Store) renewLeader(se *session) (bool, error) {
	p, name := s.path("leader"), []byte(s.id.Name)
	data, stat, err := se.conn.Get(p)
	switch {
	case errors.Is(err, zk.ErrNoNode):
		s.log.Warn("leader znode vanished: creating it again")
		err = s.create(se.conn, p, name, zk.FlagEphemeral)
		if errors.Is(err, zk.ErrNodeExists) {
			return false, nil
		}
		return err == nil, err
	case err != nil:
		return false, err
	case string(data) != s.id.Name:
		s.log.Warn("the leader lock is held by another member", "holder", string(data))
		return false, nil
	case stat.EphemeralOwner == se.conn.SessionID():
		return true, nil
	}
	s.log.Warn("Recreating the leader ZNode due to ownership mismatch", "owner", stat.EphemeralOwner)
	err = multi(se.conn,
		&zk.DeleteRequest{Path: p, Version: stat.Version},
		&zk.CreateRequest{Path: p, Data: name, Acl: s.acl, Flags: zk.FlagEphemeral})
	if lostRace(err) {
		return false, nil
	}
	return err == nil, err
}

// DeleteLeader releases the lock if the leader znode names us: it deletes the znode
// (version-checked) and then, as Patroni does, restarts the ZooKeeper session so our
// member znode goes too (TouchMember creates it again). A lock held by somebody else is
// left alone.
func (s *Store) DeleteLeader(ctx context.Context, leader *cluster.Leader) error {
	if leader == nil || leader.Name != s.id.Name || s.id.Name == "" {
		return nil
	}
	defer s.enter()()
	const op = "release leader lock"
	deleted, err := run(ctx, s, op, func(se *session) (bool, error) {
		p := s.path("leader")
		data, stat, err := se.conn.Get(p)
		if errors.Is(err, zk.ErrNoNode) {
			return false, nil
		}
		if err != nil || string(data) != s.id.Name {
			return false, err
		}
		err = se.conn.Delete(p, stat.Version)
		if lostRace(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return fail(op, err)
	}
	if deleted {
		return s.restartSession(true)
	}
	return nil
}

// lostRace: a compare failed because somebody else changed the znode first.
func lostRace(err error) bool {
	return errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zk.ErrNoNode) || errors.Is(err, zk.ErrNodeExists)
}

// multi runs ops atomically and returns the error of the op that failed, if any.
func multi(conn *zk.Conn, ops ...any) error {
	res, err := conn.Multi(ops...)
	if err != nil && !lostRace(err) {
		return err
	}
	for _, r := range res {
		if lostRace(r.Error) {
			return r.Error
		}
	}
	for _, r := range res {
		if r.Error != nil {
			return r.Error
		}
	}
	return err
}

// create makes a znode, creating missing parents (persistent, same ACL) as kazoo's
// makepath does.
func (s *Store) create(conn *zk.Conn, p string, data []byte, flags int32) error {
	_, err := conn.Create(p, data, flags, s.acl)
	if !errors.Is(err, zk.ErrNoNode) {
		return err
	}
	if err := s.makePath(conn, path.Dir(p)); err != nil {
		return err
	}
	_, err = conn.Create(p, data, flags, s.acl)
	return err
}

func (s *Store) makePath(conn *zk.Conn, p string) error {
	if p == "/" || p == "." || p == "" {
		return nil
	}
	_, err := conn.Create(p, nil, zk.FlagPersistent, s.acl)
	if errors.Is(err, zk.ErrNoNode) {
		if err = s.makePath(conn, path.Dir(p)); err != nil {
			return err
		}
		_, err = conn.Create(p, nil, zk.FlagPersistent, s.acl)
	}
	if errors.Is(err, zk.ErrNodeExists) {
		return nil
	}
	return err
}
