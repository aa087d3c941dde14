package zookeeper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/go-zookeeper/zk"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs"
)

// TouchMember writes our ephemeral member znode. Nothing is written when the value is
// unchanged and the znode (as last read or written) belongs to our session. A znode of
// another session (ours from before a restart or expiry) is deleted and created anew,
// so it lives and dies with the current session.
func (s *Store) TouchMember(ctx context.Context, data cluster.MemberData) (bool, error) {
	if s.id.Name == "" {
		return false, errNoName
	}
	value, err := data.Encode()
	if err != nil {
		return false, fmt.Errorf("zookeeper: encode member data: %w", err)
	}
	defer s.enter()()
	if s.memberUnchanged(value) {
		return true, nil
	}
	const op = "touch member"
	ok, err := run(ctx, s, op, func(se *session) (bool, error) { return s.touchOnce(se, value) })
	return ok, fail(op, err)
}

func (s *Store) memberUnchanged(value []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.member
	return m.known && m.session != 0 && m.session == s.sess.conn.SessionID() && bytes.Equal(m.value, value)
}

func (s *Store) touchOnce(se *session, value []byte) (bool, error) {
	p, mine := s.path("members/"+s.id.Name), se.conn.SessionID()
	for range 3 {
		data, stat, err := se.conn.Get(p)
		switch {
		case errors.Is(err, zk.ErrNoNode):
			err = s.create(se.conn, p, value, zk.FlagEphemeral)
			if errors.Is(err, zk.ErrNodeExists) {
				continue
			}
		case err != nil:
			return false, err
		case stat.EphemeralOwner != mine:
			s.log.Warn("Recreating the member ZNode due to ownership mismatch", "owner", stat.EphemeralOwner)
			if err := se.conn.Delete(p, stat.Version); err != nil && !lostRace(err) {
				return false, err
			}
			continue
		case !bytes.Equal(data, value):
			_, err = se.conn.Set(p, value, stat.Version)
			if lostRace(err) {
				continue
			}
		}
		if err != nil {
			return false, err
		}
		s.setCache(&s.member, value, mine)
		return true, nil
	}
	return false, nil
}

func (s *Store) setCache(c *cached, value []byte, session int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*c = cached{value: value, session: session, known: true}
}

// Initialize with createNew races for the initialize znode (create; false if it exists);
// without it, it records the value (set, created if missing).
func (s *Store) Initialize(ctx context.Context, createNew bool, sysid string) (bool, error) {
	defer s.enter()()
	if !createNew {
		_, ok, err := s.setOrCreate(ctx, "initialize", []byte(sysid), dcs.NoVersion)
		return ok, err
	}
	const op = "initialize"
	_, err := run(ctx, s, op, func(se *session) (struct{}, error) {
		return struct{}{}, s.create(se.conn, s.path("initialize"), []byte(sysid), zk.FlagPersistent)
	})
	if errors.Is(err, zk.ErrNodeExists) {
		return false, nil
	}
	return err == nil, fail(op, err)
}

// CancelInitialization deletes the initialize znode with the version just read.
func (s *Store) CancelInitialization(ctx context.Context) error {
	defer s.enter()()
	const op = "cancel initialization"
	_, err := run(ctx, s, op, func(se *session) (struct{}, error) {
		p := s.path("initialize")
		_, stat, err := se.conn.Get(p)
		if err == nil {
			err = se.conn.Delete(p, stat.Version)
		}
		if errors.Is(err, zk.ErrNoNode) {
			err = nil
		}
		return struct{}{}, err
	})
	if errors.Is(err, zk.ErrBadVersion) {
		return fmt.Errorf("zookeeper: initialize key changed while deleting it: %w", err)
	}
	return fail(op, err)
}

// SetConfig writes the config znode; with a version only if it is still that version.
func (s *Store) SetConfig(ctx context.Context, value []byte, version int64) (bool, error) {
	defer s.enter()()
	_, ok, err := s.setOrCreate(ctx, "config", value, version)
	return ok, err
}

// SetFailover writes the failover znode (an empty Failover writes {}).
func (s *Store) SetFailover(ctx context.Context, f cluster.Failover, version int64) (bool, error) {
	value, err := f.Encode()
	if err != nil {
		return false, fmt.Errorf("zookeeper: encode failover: %w", err)
	}
	defer s.enter()()
	_, ok, err := s.setOrCreate(ctx, "failover", value, version)
	return ok, err
}

// SetSync writes the sync znode and returns its new znode version.
func (s *Store) SetSync(ctx context.Context, st cluster.SyncState, version int64) (int64, bool, error) {
	value, err := st.Encode()
	if err != nil {
		return 0, false, fmt.Errorf("zookeeper: encode sync state: %w", err)
	}
	defer s.enter()()
	return s.setOrCreate(ctx, "sync", value, version)
}

// DeleteSync writes {} with the version check instead of deleting, as Patroni does.
func (s *Store) DeleteSync(ctx context.Context, version int64) (bool, error) {
	defer s.enter()()
	_, ok, err := s.setOrCreate(ctx, "sync", []byte("{}"), version)
	return ok, err
}

// SetHistory writes the history znode.
func (s *Store) SetHistory(ctx context.Context, h cluster.History) error {
	value, err := h.Encode()
	if err != nil {
		return fmt.Errorf("zookeeper: encode history: %w", err)
	}
	defer s.enter()()
	_, _, err = s.setOrCreate(ctx, "history", value, dcs.NoVersion)
	return err
}

// WriteStatus writes the status znode unless it already holds this value.
func (s *Store) WriteStatus(ctx context.Context, st cluster.Status) error {
	value, err := st.Encode()
	if err != nil {
		return fmt.Errorf("zookeeper: encode status: %w", err)
	}
	defer s.enter()()
	return s.writeCached(ctx, "status", &s.status, value)
}

// WriteFailsafe writes the failsafe znode unless it already holds this value.
func (s *Store) WriteFailsafe(ctx context.Context, f cluster.Failsafe) error {
	value, err := f.Encode()
	if err != nil {
		return fmt.Errorf("zookeeper: encode failsafe: %w", err)
	}
	defer s.enter()()
	return s.writeCached(ctx, "failsafe", &s.failsafe, value)
}

func (s *Store) writeCached(ctx context.Context, rel string, c *cached, value []byte) error {
	s.mu.Lock()
	same := c.known && bytes.Equal(c.value, value)
	s.mu.Unlock()
	if same {
		return nil
	}
	if _, _, err := s.setOrCreate(ctx, rel, value, dcs.NoVersion); err != nil {
		return err
	}
	s.setCache(c, value, 0)
	return nil
}

// setOrCreate sets a persistent znode, with a version check unless version is NoVersion;
// without a version a missing znode is created (new version 0). A failed check or a
// missing znode with a version given is (false, nil).
func (s *Store) setOrCreate(ctx context.Context, rel string, value []byte, version int64) (int64, bool, error) {
	op := "write " + rel
	if version != dcs.NoVersion && (version < 0 || version > math.MaxInt32) {
		return 0, false, nil // no znode ever has this version
	}
	type result struct {
		version int64
		ok      bool
	}
	r, err := run(ctx, s, op, func(se *session) (result, error) {
		p := s.path(rel)
		for range 3 {
			stat, err := se.conn.Set(p, value, int32(version))
			switch {
			case err == nil:
				return result{int64(stat.Version), true}, nil
			case version != dcs.NoVersion && lostRace(err):
				return result{}, nil
			case !errors.Is(err, zk.ErrNoNode):
				return result{}, err
			}
			err = s.create(se.conn, p, value, zk.FlagPersistent)
			if err == nil {
				return result{0, true}, nil
			}
			if !errors.Is(err, zk.ErrNodeExists) {
				return result{}, err
			}
		}
		return result{}, nil
	})
	return r.version, r.ok, fail(op, err)
}

// DeleteCluster deletes the cluster's base znode and everything under it.
func (s *Store) DeleteCluster(ctx context.Context) error {
	defer s.enter()()
	const op = "delete cluster"
	_, err := run(ctx, s, op, func(se *session) (struct{}, error) {
		return struct{}{}, deleteTree(se.conn, s.base)
	})
	if err != nil {
		return fail(op, err)
	}
	s.mu.Lock()
	s.member, s.status, s.failsafe = cached{}, cached{}, cached{}
	s.mu.Unlock()
	return nil
}

// deleteTree deletes p and its descendants; a child created meanwhile is deleted too.
func deleteTree(conn *zk.Conn, p string) error {
	for range 5 {
		children, _, err := conn.Children(p)
		if errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, c := range children {
			if err := deleteTree(conn, p+"/"+c); err != nil {
				return err
			}
		}
		err = conn.Delete(p, -1)
		if err == nil || errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		if !errors.Is(err, zk.ErrNotEmpty) {
			return err
		}
	}
	return fmt.Errorf("zookeeper: %s keeps getting new children", p)
}
