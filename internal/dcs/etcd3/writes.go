package etcd3

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs"
)

// Initialize races for the initialize key (createNew: only if absent) or overwrites it.
func (s *Store) Initialize(ctx context.Context, createNew bool, sysid string) (bool, error) {
	k := s.key("initialize")
	var ok bool
	err := s.call(ctx, "initialize", func(ctx context.Context) error {
		if !createNew {
			_, err := s.cli.Put(ctx, k, sysid)
			ok = err == nil
			return err
		}
		resp, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
			Then(clientv3.OpPut(k, sysid)).
			Commit()
		if err == nil {
			ok = resp.Succeeded
		}
		return err
	})
	return ok, err
}

// CancelInitialization deletes the initialize key so another member may bootstrap.
func (s *Store) CancelInitialization(ctx context.Context) error {
	k := s.key("initialize")
	return s.call(ctx, "cancel initialization", func(ctx context.Context) error {
		_, err := s.cli.Delete(ctx, k)
		return err
	})
}

// SetConfig writes the config key, comparing mod_revision when a version is given.
func (s *Store) SetConfig(ctx context.Context, value []byte, version int64) (bool, error) {
	_, ok, err := s.casPut(ctx, "set config", "config", value, version)
	return ok, err
}

// SetFailover writes the failover key; an empty Failover writes {} (Patroni never
// deletes this key to clear it).
func (s *Store) SetFailover(ctx context.Context, f cluster.Failover, version int64) (bool, error) {
	value, err := f.Encode()
	if err != nil {
		return false, err
	}
	_, ok, err := s.casPut(ctx, "set failover", "failover", value, version)
	return ok, err
}

// SetSync writes the sync key and returns its new mod_revision.
func (s *Store) SetSync(ctx context.Context, st cluster.SyncState, version int64) (int64, bool, error) {
	value, err := st.Encode()
	if err != nil {
		return 0, false, err
	}
	return s.casPut(ctx, "set sync state", "sync", value, version)
}

// DeleteSync deletes the sync key, comparing mod_revision when a version is given.
func (s *Store) DeleteSync(ctx context.Context, version int64) (bool, error) {
	k := s.key("sync")
	var ok bool
	err := s.call(ctx, "delete sync state", func(ctx context.Context) error {
		txn := s.cli.Txn(ctx)
		if version >= 0 {
			txn = txn.If(clientv3.Compare(clientv3.ModRevision(k), "=", version))
		}
		resp, err := txn.Then(clientv3.OpDelete(k)).Commit()
		if err == nil {
			ok = resp.Succeeded
		}
		return err
	})
	return ok, err
}

// casPut puts rel, comparing its mod_revision with version unless version is NoVersion
// (version 0 means "only if absent"). It returns the revision of the write.
func (s *Store) casPut(ctx context.Context, op, rel string, value []byte, version int64) (int64, bool, error) {
	k := s.key(rel)
	var rev int64
	var ok bool
	err := s.call(ctx, op, func(ctx context.Context) error {
		txn := s.cli.Txn(ctx)
		if version != dcs.NoVersion && version >= 0 {
			txn = txn.If(clientv3.Compare(clientv3.ModRevision(k), "=", version))
		}
		resp, err := txn.Then(clientv3.OpPut(k, string(value))).Commit()
		if err == nil {
			ok, rev = resp.Succeeded, resp.Header.Revision
		}
		return err
	})
	if !ok {
		rev = 0
	}
	return rev, ok, err
}

// SetHistory writes the history key (plain put, no lease).
func (s *Store) SetHistory(ctx context.Context, h cluster.History) error {
	value, err := h.Encode()
	if err != nil {
		return err
	}
	return s.call(ctx, "set history", func(ctx context.Context) error {
		_, err := s.cli.Put(ctx, s.key("history"), string(value))
		return err
	})
}

// WriteStatus writes the status key when it differs from what we last read or wrote.
func (s *Store) WriteStatus(ctx context.Context, st cluster.Status) error {
	value, err := st.Encode()
	if err != nil {
		return err
	}
	return s.putIfChanged(ctx, "write status", "status", &s.status, value)
}

// WriteFailsafe writes the failsafe key when it differs from what we last read or wrote.
func (s *Store) WriteFailsafe(ctx context.Context, f cluster.Failsafe) error {
	value, err := f.Encode()
	if err != nil {
		return err
	}
	return s.putIfChanged(ctx, "write failsafe", "failsafe", &s.failsafe, value)
}

func (s *Store) putIfChanged(ctx context.Context, op, rel string, c *cached, value []byte) error {
	if s.unchanged(c, value, 0) {
		return nil
	}
	return s.call(ctx, op, func(ctx context.Context) error {
		resp, err := s.cli.Put(ctx, s.key(rel), string(value))
		if err == nil {
			s.remember(c, value, 0, resp.Header.Revision)
		}
		return err
	})
}

// DeleteCluster deletes every key under the cluster prefix (patronictl remove).
func (s *Store) DeleteCluster(ctx context.Context) error {
	err := s.call(ctx, "delete cluster", func(ctx context.Context) error {
		_, err := s.cli.Delete(ctx, s.id.Prefix(), clientv3.WithPrefix())
		return err
	})
	if err == nil {
		s.mu.Lock()
		s.member, s.status, s.failsafe = cached{}, cached{}, cached{}
		s.mu.Unlock()
	}
	return err
}
