package zookeeper

import (
	"context"
	"errors"
	"sync"

	"github.com/go-zookeeper/zk"

	"github.com/patroni-go/patroni/internal/cluster"
)

// wellKnown are the znodes directly under the cluster base that Load reads.
var wellKnown = []string{"initialize", "config", "leader", "status", "failover", "sync", "history", "failsafe"}

// watched znodes wake Watch when they change (Patroni watches leader and config).
var watched = map[string]bool{"leader": true, "config": true}

// Load lists the cluster's znodes and reads each well-known one and every member. It is
// not atomic (ZooKeeper has no multi-read); a connection error retries the whole read.
// Versions: znode version, except the leader (mzxid, see leaderKV) and history (mzxid,
// as Patroni); config's ModifyVersion is its mzxid; sessions are ephemeralOwner.
func (s *Store) Load(ctx context.Context) (*cluster.View, error) {
	defer s.enter()()
	s.clearEvents()
	kvs, err := run(ctx, s, "load cluster", s.loadOnce)
	if err != nil {
		return nil, fail("load cluster", err)
	}
	v := cluster.Parse(kvs)
	s.remember(kvs)
	return v, nil
}

func (s *Store) loadOnce(se *session) ([]cluster.KeyValue, error) {
	children, _, err := se.conn.Children(s.base)
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return nil, err
	}
	present := make(map[string]bool, len(children))
	for _, c := range children {
		present[c] = true
	}
	var rels []string
	for _, k := range wellKnown {
		// The leader is watched even when absent, so its creation wakes Watch.
		if present[k] || k == "leader" {
			rels = append(rels, k)
		}
	}
	if present["optime"] {
		rels = append(rels, "optime/leader")
	}
	if present["members"] {
		members, _, err := se.conn.Children(s.path("members"))
		if err != nil && !errors.Is(err, zk.ErrNoNode) {
			return nil, err
		}
		for _, m := range members {
			rels = append(rels, "members/"+m)
		}
	}
	return s.getAll(se, rels)
}

// getAll reads the znodes concurrently (one round trip instead of one per key); znodes
// that vanished meanwhile are left out.
func (s *Store) getAll(se *session, rels []string) ([]cluster.KeyValue, error) {
	kvs := make([]*cluster.KeyValue, len(rels))
	errs := make([]error, len(rels))
	var wg sync.WaitGroup
	for i, rel := range rels {
		wg.Go(func() { kvs[i], errs[i] = s.get(se, rel, watched[rel]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make([]cluster.KeyValue, 0, len(rels))
	for _, kv := range kvs {
		if kv != nil {
			out = append(out, *kv)
		}
	}
	return out, nil
}

// get reads one znode (nil when absent), arming a watch on it if asked and none is
// pending on this session.
func (s *Store) get(se *session, rel string, watch bool) (*cluster.KeyValue, error) {
	p := s.path(rel)
	var (
		data []byte
		stat *zk.Stat
		err  error
	)
	if watch && se.arm(p) {
		data, stat, err = s.getWatched(se, p)
	} else {
		data, stat, err = se.conn.Get(p)
	}
	if errors.Is(err, zk.ErrNoNode) || (err == nil && stat == nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	kv := &cluster.KeyValue{Key: rel, Value: data, Version: int64(stat.Version), ModifyVersion: stat.Mzxid,
		Session: sessionString(stat.EphemeralOwner)}
	switch rel {
	case "leader":
		kv.Version = leaderVersion(stat)
	case "history":
		kv.Version = stat.Mzxid
	}
	return kv, nil
}

// leaderVersion is the leader znode's mzxid. Patroni exposes its znode version, which is
// always 0 (the znode is created, never set), so it tells nothing; mzxid changes with
// every new holder and is never 0.
func leaderVersion(stat *zk.Stat) int64 { return stat.Mzxid }

// getWatched reads p with a data watch, or sets an existence watch when p is absent.
// The watch was armed by the caller; it is disarmed again if no watch got set.
func (s *Store) getWatched(se *session, p string) ([]byte, *zk.Stat, error) {
	data, stat, ch, err := se.conn.GetW(p)
	if errors.Is(err, zk.ErrNoNode) {
		var exists bool
		exists, _, ch, err = se.conn.ExistsW(p)
		if err == nil && exists {
			// Created in between: the watch is set, read the value plainly.
			data, stat, err = se.conn.Get(p)
		} else if err == nil {
			err = zk.ErrNoNode
		}
	}
	if ch == nil {
		se.disarm(p)
	} else {
		go s.forward(se, p, ch)
	}
	return data, stat, err
}

// forward waits for the one event of a watch and wakes Watch.
func (s *Store) forward(se *session, p string, ch <-chan zk.Event) {
	select {
	case <-ch:
	case <-se.stop:
	}
	se.disarm(p)
	s.signal(se)
}

// remember caches our member, status and failsafe values as read, so unchanged writes
// are skipped and a key that vanished is written again.
func (s *Store) remember(kvs []cluster.KeyValue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.member, s.status, s.failsafe = cached{}, cached{}, cached{}
	for _, kv := range kvs {
		c := cached{value: kv.Value, known: true}
		switch kv.Key {
		case "members/" + s.id.Name:
			c.session = parseSession(kv.Session)
			s.member = c
		case "status":
			s.status = c
		case "failsafe":
			s.failsafe = c
		}
	}
}
