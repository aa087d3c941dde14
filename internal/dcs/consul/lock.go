package consul

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/patroni-go/patroni/internal/cluster"
)

// AttemptToAcquireLeader takes the leader key with our name and session if nobody
// holds it (PUT ?acquire). A key we hold already is not written again: this is a race
// for a free lock, and it reports false like the other backends.
func (s *Store) AttemptToAcquireLeader(ctx context.Context) (bool, error) {
	return s.takeLock(ctx, "acquire leader lock", false)
}

// TakeLeader takes the lock after a fresh bootstrap: like AttemptToAcquireLeader, but a
// lock we hold already counts as success.
func (s *Store) TakeLeader(ctx context.Context) (bool, error) {
	return s.takeLock(ctx, "take leader lock", true)
}

func (s *Store) takeLock(ctx context.Context, name string, mineOK bool) (bool, error) {
	if s.id.Name == "" {
		return false, errNoName
	}
	var ok bool
	err := s.op(ctx, name, func(ctx context.Context) error {
		sess, _, err := s.refreshSession(ctx, false)
		if err != nil {
			return err
		}
		cur, err := s.get(ctx, s.key("leader"), false)
		switch {
		case err != nil:
			return err
		case cur != nil && cur.Session != "":
			ok = mineOK && cur.Session == sess && string(cur.Value) == s.id.Name
			return nil
		}
		ok, err = s.acquire(ctx, s.key("leader"), []byte(s.id.Name), sess)
		return err
	})
	return ok, err
}

// UpdateLeader renews our session (always, not rate-limited) and makes sure the leader
// key that names us is held by it. A key naming somebody else is never touched: a
// member frozen longer than ttl must not take the lock back from its successor (Patroni
// would). A key naming us under an older session of ours (ttl changed, session
// expired) is deleted with cas on its ModifyIndex and acquired again; a vanished key is
// re-created, as Patroni does. True iff our session holds the key afterwards.
func (s *Store) UpdateLeader(ctx context.Context, leader *cluster.Leader) (bool, error) {
	if s.id.Name == "" {
		return false, errNoName
	}
	if leader != nil && leader.Name != s.id.Name {
		return false, nil
	}
	var ok bool
	err := s.op(ctx, "update leader lock", func(ctx context.Context) error {
		sess, _, err := s.refreshSession(ctx, true)
		if err != nil {
			return err
		}
		ok, err = s.holdLeader(ctx, sess)
		return err
	})
	return ok, err
}

func (s *Store) holdLeader(ctx context.Context, sess string) (bool, error) {
	k := s.key("leader")
	cur, err := s.get(ctx, k, false)
	switch {
	case err != nil:
		return false, err
	case cur == nil:
		s.log.Warn("the leader key vanished; creating it again")
		return s.acquire(ctx, k, []byte(s.id.Name), sess)
	case string(cur.Value) != s.id.Name:
		return false, nil
	case cur.Session == sess:
		return true, nil
	}
	s.log.Warn("Recreating the leader key due to session mismatch", "key_session", cur.Session, "session", sess)
	deleted, err := s.deleteCAS(ctx, k, cur.ModifyIndex)
	if err != nil || !deleted {
		return false, err
	}
	return s.acquire(ctx, k, []byte(s.id.Name), sess)
}

// DeleteLeader releases the lock if, and only if, the key still names us: DELETE with
// cas on the ModifyIndex just read, so a key taken over meanwhile survives.
func (s *Store) DeleteLeader(ctx context.Context, leader *cluster.Leader) error {
	if s.id.Name == "" {
		return errNoName
	}
	if leader == nil || leader.Name != s.id.Name {
		return nil
	}
	return s.op(ctx, "delete leader lock", func(ctx context.Context) error {
		k := s.key("leader")
		cur, err := s.get(ctx, k, false)
		if err != nil || cur == nil || string(cur.Value) != s.id.Name {
			return err
		}
		_, err = s.deleteCAS(ctx, k, cur.ModifyIndex)
		return err
	})
}

// acquire PUTs value to k with ?acquire=<sess>. If Consul no longer knows the session,
// a new one is created and the PUT is tried once more.
func (s *Store) acquire(ctx context.Context, k string, value []byte, sess string) (bool, error) {
	ok, err := s.putAcquire(ctx, k, value, sess)
	if !errors.Is(err, errInvalidSession) {
		return ok, err
	}
	s.log.Warn("our session disappeared from Consul; creating a new one and trying again", "key", k)
	s.dropSession(sess)
	if sess, _, err = s.refreshSession(ctx, true); err != nil {
		return false, err
	}
	return s.putAcquire(ctx, k, value, sess)
}

// putAcquire PUTs ?acquire once more when Consul refused a key that nobody holds: a
// key whose session was just invalidated stays blocked for the session's lock delay
// (1 ms for Patroni's sessions).
func (s *Store) putAcquire(ctx context.Context, k string, value []byte, sess string) (bool, error) {
	ok, err := s.putAcquireOnce(ctx, k, value, sess)
	if ok || err != nil {
		return ok, err
	}
	cur, err := s.get(ctx, k, false)
	if err != nil || (cur != nil && cur.Session != "") {
		return false, err
	}
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-time.After(lockDelayPause):
	}
	return s.putAcquireOnce(ctx, k, value, sess)
}

// lockDelayPause outlasts the lock delay of Patroni's sessions.
const lockDelayPause = 20 * time.Millisecond

func (s *Store) putAcquireOnce(ctx context.Context, k string, value []byte, sess string) (bool, error) {
	var ok bool
	err := s.retry(ctx, func(ctx context.Context) (err error) {
		ok, _, err = s.cli.KV().Acquire(&api.KVPair{Key: k, Value: value, Session: sess}, writeOpts(ctx))
		return err
	})
	return ok, err
}

func (s *Store) deleteCAS(ctx context.Context, k string, index uint64) (bool, error) {
	var ok bool
	err := s.retry(ctx, func(ctx context.Context) (err error) {
		ok, _, err = s.cli.KV().DeleteCAS(&api.KVPair{Key: k, ModifyIndex: index}, writeOpts(ctx))
		return err
	})
	return ok, err
}

func (s *Store) deleteKey(ctx context.Context, k string) error {
	return s.retry(ctx, func(ctx context.Context) error {
		_, err := s.cli.KV().Delete(k, writeOpts(ctx))
		return err
	})
}

// TouchMember writes members/<name> acquired by our session. A member key held by
// another session (ours before a restart or a ttl change) is deleted first, as Patroni
// does; an unchanged value on our session is not written again. With register_service
// the agent's service registration follows the member's role and state.
func (s *Store) TouchMember(ctx context.Context, data cluster.MemberData) (bool, error) {
	if s.id.Name == "" {
		return false, errNoName
	}
	value, err := data.Encode()
	if err != nil {
		return false, err
	}
	var ok bool
	err = s.op(ctx, "touch member", func(ctx context.Context) error {
		sess, created, err := s.refreshSession(ctx, false)
		if err != nil {
			return err
		}
		if s.cfg.RegisterService {
			s.updateService(ctx, data)
		}
		ok, err = s.writeMember(ctx, value, sess, created)
		return err
	})
	return ok, err
}

func (s *Store) writeMember(ctx context.Context, value []byte, sess string, created bool) (bool, error) {
	k := s.key("members/" + s.id.Name)
	c := s.cachedValue(k)
	stale := c.present && (created || c.session != sess)
	if !stale && c.present && bytes.Equal(c.value, value) {
		return true, nil
	}
	if stale {
		if err := s.deleteKey(ctx, k); err != nil {
			return false, err
		}
	}
	ok, err := s.acquire(ctx, k, value, sess)
	if err == nil && !ok && !stale {
		// Held by a session we did not know about (our previous process): take it over.
		s.log.Warn("Recreating the member key due to session mismatch", "key", k)
		if err = s.deleteKey(ctx, k); err == nil {
			ok, err = s.acquire(ctx, k, value, s.currentSession())
		}
	}
	if err != nil || !ok {
		s.remember(k, cached{})
		return ok, err
	}
	s.remember(k, cached{value: value, session: s.currentSession(), present: true})
	return true, nil
}
