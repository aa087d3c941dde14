package sim

import (
	"slices"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// lease is a member's session in the fake DCS (etcd lease, Consul session): the leader
// key and the member key live as long as it does.
type lease struct {
	expiry time.Time
}

type memberKey struct {
	data    cluster.MemberData
	version int64
}

// fakeDCS is an in-memory DCS with TTL leases and create-if-absent / compare-and-set
// semantics, on the simulation's real clock.
type fakeDCS struct {
	w   *World
	ttl time.Duration
	rev int64

	leases  map[string]*lease
	leader  string // "" = absent
	leadRev int64
	members map[string]memberKey

	initialize *string
	config     bool
	failover   cluster.Failover
	failRev    int64
	hasFailKey bool
	sync       cluster.SyncState
	history    *cluster.History
	optime     int64
	failsafe   cluster.Failsafe

	// recreateOnUpdate makes UpdateLock re-create a vanished leader key (what Patroni's
	// etcd3 backend does after its lease expired); the default only renews a key we
	// still hold.
	recreateOnUpdate bool
	// down: the whole DCS is unavailable.
	down bool
}

func newFakeDCS(w *World, ttl time.Duration) *fakeDCS {
	return &fakeDCS{w: w, ttl: ttl, leases: map[string]*lease{}, members: map[string]memberKey{}}
}

func (d *fakeDCS) next() int64 { d.rev++; return d.rev }

// expire drops the leader and member keys of expired leases.
func (d *fakeDCS) expire() {
	now := d.w.now
	for name, l := range d.leases {
		if now.Before(l.expiry) {
			continue
		}
		delete(d.leases, name)
		delete(d.members, name)
		if d.leader == name {
			d.w.tracef("dcs: leader key of %s expired", name)
			d.setLeader("")
		}
	}
}

func (d *fakeDCS) setLeader(name string) {
	d.leader = name
	d.leadRev = d.next()
	d.w.leaderChanged()
}

func (d *fakeDCS) refresh(name string) {
	d.leases[name] = &lease{expiry: d.w.now.Add(d.ttl)}
}

func (d *fakeDCS) holds(name string) bool {
	d.expire()
	return d.leader == name && d.leases[name] != nil
}

// view builds a cluster.View like a backend's Load.
func (d *fakeDCS) view() *cluster.View {
	d.expire()
	v := &cluster.View{Status: cluster.Status{Optime: d.optime, Present: d.optime != 0}, Sync: d.sync}
	if d.initialize != nil {
		s := *d.initialize
		v.Initialize = &s
	}
	if d.config {
		v.Config = &cluster.Config{Data: map[string]any{"ttl": int(d.ttl.Seconds())}, Version: 1, ModifyVersion: 1}
	}
	for _, name := range sortedNames(d.members) {
		mk := d.members[name]
		v.Members = append(v.Members, cluster.Member{Name: name, Version: mk.version, MemberData: mk.data})
	}
	if d.leader != "" {
		v.Leader = &cluster.Leader{Name: d.leader, Version: d.leadRev, Member: v.Member(d.leader)}
	}
	if d.hasFailKey {
		f := d.failover
		f.Version = d.failRev
		v.Failover = &f
	}
	if d.history != nil {
		h := *d.history
		h.Lines = slices.Clone(d.history.Lines)
		v.History = &h
	}
	if d.failsafe != nil {
		v.Failsafe = cluster.Failsafe{}
		for k, val := range d.failsafe {
			v.Failsafe[k] = val
		}
	}
	return v
}

func (d *fakeDCS) acquire(name string) bool {
	if d.holds(d.leader) {
		return false
	}
	d.refresh(name)
	d.setLeader(name)
	return true
}

// update renews the lock only if name still holds it (compare on the holder).
func (d *fakeDCS) update(name string) bool {
	if d.holds(name) {
		d.refresh(name)
		return true
	}
	if d.recreateOnUpdate && d.leader == "" {
		d.refresh(name)
		d.setLeader(name)
		return true
	}
	return false
}

// take is take_leader after bootstrap: an unconditional write.
func (d *fakeDCS) take(name string) bool {
	d.refresh(name)
	d.setLeader(name)
	return true
}

func (d *fakeDCS) deleteLeader(name string) {
	if d.holds(name) {
		d.setLeader("")
	}
}

func (d *fakeDCS) touch(name string, data cluster.MemberData) {
	d.refresh(name)
	d.members[name] = memberKey{data: data, version: d.next()}
}

func (d *fakeDCS) initRace() bool {
	if d.initialize != nil {
		return false
	}
	s := ""
	d.initialize = &s
	return true
}

func (d *fakeDCS) writeSync(s cluster.SyncState, version int64) (int64, bool) {
	if version >= 0 && (!d.sync.Present || d.sync.Version != version) {
		return 0, false
	}
	s.Version, s.Present = d.next(), true
	d.sync = s
	return s.Version, true
}

func (d *fakeDCS) deleteSync(version int64) bool {
	if d.sync.Present && version >= 0 && d.sync.Version != version {
		return false
	}
	d.sync = cluster.SyncState{}
	return true
}

func (d *fakeDCS) setFailover(f cluster.Failover, version int64) {
	if version >= 0 && d.failRev != version {
		return
	}
	d.failover, d.hasFailKey, d.failRev = f, !f.IsEmpty(), d.next()
}
