package consul

import (
	"bytes"
	"context"

	"github.com/hashicorp/consul/api"

	"github.com/patroni-go/patroni/internal/cluster"
)

// Initialize races for the initialize key (createNew: PUT ?cas=0, only if absent) or
// overwrites it with the system identifier.
func (s *Store) Initialize(ctx context.Context, createNew bool, sysid string) (bool, error) {
	version := int64(-1)
	if createNew {
		version = 0
	}
	return s.put(ctx, "initialize", "initialize", []byte(sysid), version)
}

// CancelInitialization deletes the initialize key so another member may bootstrap.
func (s *Store) CancelInitialization(ctx context.Context) error {
	return s.op(ctx, "cancel initialization", func(ctx context.Context) error {
		return s.deleteKey(ctx, s.key("initialize"))
	})
}

// SetConfig writes the config key, with ?cas=<version> when a version is given.
func (s *Store) SetConfig(ctx context.Context, value []byte, version int64) (bool, error) {
	return s.put(ctx, "set config", "config", value, version)
}

// SetFailover writes the failover key; an empty Failover writes {} (Patroni never
// deletes this key to clear it).
func (s *Store) SetFailover(ctx context.Context, f cluster.Failover, version int64) (bool, error) {
	value, err := f.Encode()
	if err != nil {
		return false, err
	}
	return s.put(ctx, "set failover", "failover", value, version)
}

// SetSync writes the sync key (cas when a version is given). Consul does not return
// the index of a write, so, as Patroni does, the key is read back consistently: its
// ModifyIndex is the new version, and a different value means somebody else won.
func (s *Store) SetSync(ctx context.Context, st cluster.SyncState, version int64) (int64, bool, error) {
	value, err := st.Encode()
	if err != nil {
		return 0, false, err
	}
	var newVersion int64
	var ok bool
	err = s.op(ctx, "set sync state", func(ctx context.Context) error {
		k := s.key("sync")
		written, err := s.putRaw(ctx, k, value, version)
		if err != nil || !written {
			return err
		}
		p, err := s.get(ctx, k, true)
		if err == nil && p != nil && bytes.Equal(p.Value, value) {
			newVersion, ok = int64(p.ModifyIndex), true
		}
		return err
	})
	return newVersion, ok, err
}

// DeleteSync deletes the sync key, with ?cas=<version> when a version is given.
func (s *Store) DeleteSync(ctx context.Context, version int64) (bool, error) {
	var ok bool
	err := s.op(ctx, "delete sync state", func(ctx context.Context) (err error) {
		k := s.key("sync")
		if version >= 0 {
			ok, err = s.deleteCAS(ctx, k, uint64(version))
			return err
		}
		ok = true
		return s.deleteKey(ctx, k)
	})
	return ok, err
}

// SetHistory writes the history key (plain PUT) unless it holds this value already.
func (s *Store) SetHistory(ctx context.Context, h cluster.History) error {
	value, err := h.Encode()
	if err != nil {
		return err
	}
	return s.putIfChanged(ctx, "set history", "history", value)
}

// WriteStatus writes the status key (plain PUT) unless it holds this value already.
func (s *Store) WriteStatus(ctx context.Context, st cluster.Status) error {
	value, err := st.Encode()
	if err != nil {
		return err
	}
	return s.putIfChanged(ctx, "write status", "status", value)
}

// WriteFailsafe writes the failsafe key (plain PUT) unless it holds this value already.
func (s *Store) WriteFailsafe(ctx context.Context, f cluster.Failsafe) error {
	value, err := f.Encode()
	if err != nil {
		return err
	}
	return s.putIfChanged(ctx, "write failsafe", "failsafe", value)
}

// DeleteCluster removes every key under the cluster prefix (DELETE ?recurse). The
// trailing slash of the prefix keeps clusters whose name extends ours.
func (s *Store) DeleteCluster(ctx context.Context) error {
	err := s.op(ctx, "delete cluster", func(ctx context.Context) error {
		return s.retry(ctx, func(ctx context.Context) error {
			_, err := s.cli.KV().DeleteTree(s.prefix, writeOpts(ctx))
			return err
		})
	})
	s.forgetAll()
	return err
}

func (s *Store) putIfChanged(ctx context.Context, name, rel string, value []byte) error {
	k := s.key(rel)
	if s.unchanged(k, value) {
		return nil
	}
	_, err := s.put(ctx, name, rel, value, -1)
	return err
}

// put writes rel, with ?cas=<version> when version >= 0, and remembers the value.
func (s *Store) put(ctx context.Context, name, rel string, value []byte, version int64) (bool, error) {
	var ok bool
	k := s.key(rel)
	err := s.op(ctx, name, func(ctx context.Context) (err error) {
		ok, err = s.putRaw(ctx, k, value, version)
		return err
	})
	if ok {
		s.remember(k, cached{value: value, present: true})
	}
	return ok, err
}

func (s *Store) putRaw(ctx context.Context, k string, value []byte, version int64) (bool, error) {
	var ok bool
	err := s.retry(ctx, func(ctx context.Context) (err error) {
		p := &api.KVPair{Key: k, Value: value}
		if version < 0 {
			_, err = s.cli.KV().Put(p, writeOpts(ctx))
			ok = err == nil
			return err
		}
		p.ModifyIndex = uint64(version)
		ok, _, err = s.cli.KV().CAS(p, writeOpts(ctx))
		return err
	})
	return ok, err
}
