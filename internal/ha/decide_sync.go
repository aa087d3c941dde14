package ha

import (
	"log/slog"
	"slices"
	"sort"
	"strings"

	"github.com/patroni-go/patroni/internal/cluster"
)

// nameSet is a case-insensitive set of member names, keyed lower-case.
type nameSet map[string]string

func newNameSet(names ...string) nameSet {
	s := nameSet{}
	for _, n := range names {
		s[strings.ToLower(n)] = n
	}
	return s
}

func (s nameSet) list() []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func (s nameSet) equal(o nameSet) bool {
	if len(s) != len(o) {
		return false
	}
	for k := range s {
		if _, ok := o[k]; !ok {
			return false
		}
	}
	return true
}

func (s nameSet) intersect(o nameSet) nameSet {
	out := nameSet{}
	for k, v := range s {
		if _, ok := o[k]; ok {
			out[k] = v
		}
	}
	return out
}

// syncState is current_state(): candidates picked for ssn and those confirmed sync.
type syncState struct {
	numsync   int
	ssnNames  nameSet // live ssn members (empty with '*')
	picked    nameSet // active
	confirmed nameSet // sync_confirmed (allow_promote)
}

type replica struct {
	name       string
	syncState  string
	lsn        int64
	noFailover bool
	priority   int64
}

// processSyncReplication is §9.2, run by the primary each cycle.
func (d *decider) processSyncReplication() {
	if d.s.syncEnabled() {
		d.processMultisync()
		return
	}
	if !d.v.Sync.IsEmpty() && d.gate(DeleteSync{Version: d.v.Sync.Version}).OK {
		d.logf(slog.LevelInfo, "Disabled synchronous replication")
		d.do(SetSyncStandbyNames{})
	}
	d.do(RestoreUserSyncStandbyNames{})
}

func syncVersion(s cluster.SyncState) int64 {
	if !s.Present {
		return -1
	}
	return s.Version
}

// writeSync is a CAS write of /sync; it returns the new version and success.
func (d *decider) writeSync(standbys nameSet, version int64) (int64, bool) {
	r := d.gate(WriteSync{Leader: d.me(), Standbys: standbys.list(), Version: version})
	return r.SyncVersion, r.OK
}

// processMultisync is _process_multisync_replication. Safe order: a name is added to
// synchronous_standby_names before /sync, and removed from /sync before ssn; /sync
// only ever lists names that PostgreSQL itself reports as sync under the live ssn.
// Quorum commit uses the same bookkeeping (every listed standby must confirm).
func (d *decider) processMultisync() {
	sync := d.v.Sync
	version := syncVersion(sync)
	if sync.IsEmpty() {
		nv, ok := d.writeSync(nil, version)
		if !ok {
			d.logf(slog.LevelWarn, "Updating sync state failed")
			return
		}
		d.logf(slog.LevelInfo, "Enabled synchronous replication")
		sync, version = cluster.SyncState{Leader: d.me(), Present: true}, nv
	}
	cs := d.currentSyncState()
	voters := newNameSet(sync.SyncStandby...)
	if !strings.EqualFold(sync.Leader, d.me()) {
		d.logf(slog.LevelWarn, "Inconsistent state of /sync key detected, leader = %s doesn't match %s, "+
			"updating synchronous replication key", sync.Leader, d.me())
		nv, ok := d.writeSync(nil, version)
		if !ok {
			d.logf(slog.LevelWarn, "Updating sync state failed")
			return
		}
		version, voters = nv, nameSet{}
	}
	if cs.picked.equal(voters) && !voters.equal(cs.confirmed) {
		d.logf(slog.LevelWarn, "Inconsistent state between synchronous_standby_names = %s and /sync = %s key "+
			"detected, updating synchronous replication key...", pyList(cs.confirmed.list()), pyList(voters.list()))
		nv, ok := d.writeSync(cs.confirmed, version)
		if !ok {
			d.logf(slog.LevelWarn, "Updating sync state failed")
			return
		}
		version, voters = nv, cs.confirmed
	}
	if cs.picked.equal(voters) && voters.equal(cs.ssnNames) && cs.numsync == len(cs.picked) {
		return
	}
	common := voters.intersect(cs.confirmed)
	if !common.equal(voters) {
		d.logf(slog.LevelInfo, "Updating synchronous privilege temporarily from %s to %s",
			pyList(voters.list()), pyList(common.list()))
		nv, ok := d.writeSync(common, version)
		if !ok {
			d.logf(slog.LevelInfo, "Synchronous replication key updated by someone else.")
			return
		}
		version = nv
	}
	picked := cs.picked
	if d.s.SynchronousModeStrict && len(picked) == 0 {
		picked = newNameSet("*")
		d.logf(slog.LevelWarn, "No standbys available!")
	}
	d.logf(slog.LevelInfo, "Assigning synchronous standby status to %s", pyList(picked.list()))
	d.do(SetSyncStandbyNames{Names: picked.list()})
	// Patroni sleeps 2 s here and re-reads pg_stat_replication; Decide leaves that to
	// the next cycle, which only delays adding newly confirmed standbys to /sync.
	if len(cs.confirmed) > 0 && !cs.confirmed.equal(common) {
		if _, ok := d.writeSync(cs.confirmed, version); ok {
			d.logf(slog.LevelInfo, "Synchronous standby status assigned to %s", pyList(cs.confirmed.list()))
		} else {
			d.logf(slog.LevelInfo, "Synchronous replication key updated by someone else")
		}
	}
}

// currentSyncState is SyncHandler.current_state (§9.1).
func (d *decider) currentSyncState() syncState {
	parsed, err := parseSSN(d.l.Sync.SSN)
	if err != nil {
		d.logf(slog.LevelWarn, "%v: %q", err, d.l.Sync.SSN)
	}
	if d.l.Sync.SSN != d.mem.SyncLastSSN {
		d.mem.SyncLastSSN = d.l.Sync.SSN
		for k := range d.mem.SyncReady {
			if !parsed.has(k) {
				delete(d.mem.SyncReady, k)
			}
		}
		d.mem.SyncPrimaryFlushLSN = d.l.PG.WALPosition
		d.do(GenerateWAL{})
	}
	reps, maxLSN := d.replicaList()
	for _, r := range reps {
		key := strings.ToLower(r.name)
		if !d.mem.SyncReady[key] && parsed.has(r.name) &&
			(d.v.Sync.Matches(r.name, false) || (r.syncState == "sync" && r.lsn >= d.mem.SyncPrimaryFlushLSN)) {
			if d.mem.SyncReady == nil {
				d.mem.SyncReady = map[string]bool{}
			}
			d.mem.SyncReady[key] = true
		}
	}
	count := max(d.s.SynchronousNodeCount, 1)
	if d.l.PG.MajorVersion != 0 && d.l.PG.MajorVersion < 10 {
		count = 1
	}
	cs := syncState{numsync: parsed.Num, ssnNames: nameSet{}, picked: nameSet{}, confirmed: nameSet{}}
	if !parsed.HasStar {
		for _, m := range parsed.Members {
			cs.ssnNames[m] = m
		}
	}
	slices.SortStableFunc(reps, func(a, b replica) int { return boolInt(a.noFailover) - boolInt(b.noFailover) })
	for _, r := range reps {
		if d.s.MaximumLagOnSyncNode > 0 && maxLSN-r.lsn > d.s.MaximumLagOnSyncNode {
			continue
		}
		cs.picked[strings.ToLower(r.name)] = r.name
		if r.syncState == "sync" && d.mem.SyncReady[strings.ToLower(r.name)] {
			cs.confirmed[strings.ToLower(r.name)] = r.name
		}
		if len(cs.picked) >= count {
			break
		}
	}
	return cs
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// replicaList is _ReplicaList: streaming walsenders of running, syncable members,
// best first, and the LSN to measure sync lag against.
func (d *decider) replicaList() ([]replica, int64) {
	members := map[string]*cluster.Member{}
	for i := range d.v.Members {
		m := &d.v.Members[i]
		if m.IsRunning() && !cluster.Tags(m.Tags).NoSync() && !strings.EqualFold(m.Name, d.me()) {
			members[strings.ToLower(m.Name)] = m
		}
	}
	streaming := map[string]bool{}
	for _, w := range d.l.Sync.Replication {
		if members[strings.ToLower(w.ApplicationName)] != nil {
			streaming[strings.ToLower(w.ApplicationName)] = true
		}
	}
	var out []replica
	for _, w := range d.l.Sync.Replication {
		m := members[strings.ToLower(w.ApplicationName)]
		if m == nil || d.cascades(members, streaming, m, 0) {
			continue
		}
		t := cluster.Tags(m.Tags)
		out = append(out, replica{m.Name, w.SyncState, w.LSN, t.NoFailover(), t.SyncPriority()})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.priority != b.priority {
			return a.priority > b.priority
		}
		if a.syncState != b.syncState {
			return a.syncState > b.syncState
		}
		return a.lsn > b.lsn
	})
	maxLSN := d.l.PG.WALPosition
	if len(out) > 1 {
		maxLSN = out[0].lsn
		for _, r := range out {
			maxLSN = max(maxLSN, r.lsn)
		}
	}
	return out, maxLSN
}

// cascades is _should_cascade: the member streams from another eligible standby.
func (d *decider) cascades(members map[string]*cluster.Member, streaming map[string]bool, m *cluster.Member, depth int) bool {
	rf := cluster.Tags(m.Tags).ReplicateFrom()
	if rf == "" || depth > len(members) {
		return false
	}
	up := members[strings.ToLower(rf)]
	if up == nil {
		return false
	}
	if cluster.Tags(up.Tags).ReplicateFrom() == "" {
		return streaming[strings.ToLower(up.Name)]
	}
	return d.cascades(members, streaming, up, depth+1)
}

// processSyncPrepromote is process_sync_replication_prepromote: before promoting, the
// new primary claims /sync for itself with no standbys (CAS) and clears ssn ('*' in
// strict mode).
func (d *decider) processSyncPrepromote() bool {
	if !d.s.syncEnabled() {
		if !d.v.Sync.IsEmpty() && d.gate(DeleteSync{Version: d.v.Sync.Version}).OK {
			d.logf(slog.LevelInfo, "Disabled synchronous replication")
			d.do(SetSyncStandbyNames{})
		}
		d.do(RestoreUserSyncStandbyNames{})
		return true
	}
	if _, ok := d.writeSync(nil, syncVersion(d.v.Sync)); !ok {
		return false
	}
	var names []string
	if d.s.SynchronousModeStrict {
		names = []string{"*"}
	}
	d.do(SetSyncStandbyNames{Names: names})
	return true
}
