package cluster

import (
	"fmt"
	"regexp"
	"strings"
)

// Config is the config key: the dynamic configuration as a JSON object.
type Config struct {
	Data map[string]any // {} when the value is not a JSON object
	Raw  []byte
	// Version is what CAS writes compare against (etcd mod_revision, Consul ModifyIndex,
	// ZooKeeper znode version).
	Version int64
	// ModifyVersion detects changes (ZooKeeper: mzxid). 0 marks the value invalid: nodes
	// keep their last good configuration.
	ModifyVersion int64
}

// IsValid is Patroni's check that the config key can be trusted.
func (c *Config) IsValid() bool { return c != nil && c.ModifyVersion != 0 }

// Leader is the leader key and, when its member key exists, that member.
type Leader struct {
	Name    string
	Version int64
	Session string
	Member  *Member // the leader's member key, nil if absent
}

// View is one snapshot of everything under the cluster prefix.
type View struct {
	Initialize *string // nil: never initialized; "": bootstrap in progress; else the sysid
	Config     *Config
	Leader     *Leader // nil: unlocked
	Status     Status
	Members    []Member // sorted by name
	Failover   *Failover
	Sync       SyncState
	History    *History
	Failsafe   Failsafe // nil when absent or invalid
	// Problems lists values that did not parse, so the caller can log them once.
	Problems []string
}

// KeyValue is one raw key as a backend read it, relative to the cluster prefix
// (e.g. "leader", "members/node1", "optime/leader").
type KeyValue struct {
	Key           string
	Value         []byte
	Version       int64
	ModifyVersion int64
	Session       string
}

// Parse builds a View from the raw keys of one read. It never fails: values that do
// not parse get Patroni's fallback and a line in View.Problems.
func Parse(kvs []KeyValue) *View {
	v := &View{}
	var leader *KeyValue
	var legacyOptime *KeyValue
	for i := range kvs {
		kv := &kvs[i]
		switch {
		case kv.Key == "initialize":
			s := string(kv.Value)
			v.Initialize = &s
		case kv.Key == "config":
			v.Config = parseConfig(kv, v)
		case kv.Key == "leader":
			leader = kv
		case kv.Key == "status":
			st, err := ParseStatus(kv.Value)
			v.note("status", err)
			v.Status = st
		case kv.Key == "optime/leader":
			legacyOptime = kv
		case kv.Key == "failover":
			f, err := ParseFailover(kv.Value)
			v.note("failover", err)
			f.Version = kv.Version
			v.Failover = &f
		case kv.Key == "sync":
			s, err := ParseSyncState(kv.Value)
			v.note("sync", err)
			s.Version, s.Present = kv.Version, true
			v.Sync = s
		case kv.Key == "history":
			h, err := ParseHistory(kv.Value)
			v.note("history", err)
			h.Version = kv.Version
			v.History = &h
		case kv.Key == "failsafe":
			f, err := ParseFailsafe(kv.Value)
			v.note("failsafe", err)
			v.Failsafe = f
		case isMemberKey(kv.Key):
			d, err := ParseMemberData(kv.Value)
			name := strings.TrimPrefix(kv.Key, "members/")
			v.note("members/"+name, err)
			v.Members = append(v.Members, Member{Name: name, Version: kv.Version, Session: kv.Session, MemberData: d})
		}
	}
	SortMembers(v.Members)
	if !v.Status.Present && legacyOptime != nil {
		if n, ok := asInt(strings.TrimSpace(string(legacyOptime.Value))); ok {
			v.Status = Status{Optime: n, Present: true}
		}
	}
	if leader != nil && len(strings.TrimSpace(string(leader.Value))) > 0 {
		name := string(leader.Value)
		v.Leader = &Leader{Name: name, Version: leader.Version, Session: leader.Session, Member: v.Member(name)}
	}
	return v
}

func parseConfig(kv *KeyValue, v *View) *Config {
	c := &Config{Raw: kv.Value, Version: kv.Version, ModifyVersion: kv.ModifyVersion}
	obj, err := decodeObject(kv.Value)
	if err != nil {
		v.note("config", fmt.Errorf("config value is not a JSON object: %w", err))
		c.Data, c.ModifyVersion = map[string]any{}, 0
		return c
	}
	c.Data = obj
	return c
}

// isMemberKey: "members/<name>" with exactly one slash; deeper keys are ignored.
func isMemberKey(k string) bool {
	name, ok := strings.CutPrefix(k, "members/")
	return ok && name != "" && !strings.Contains(name, "/")
}

func (v *View) note(key string, err error) {
	if err != nil {
		v.Problems = append(v.Problems, fmt.Sprintf("%s: %v", key, err))
	}
}

// Member returns the member key with that name, or nil.
func (v *View) Member(name string) *Member {
	for i := range v.Members {
		if v.Members[i].Name == name {
			return &v.Members[i]
		}
	}
	return nil
}

// IsUnlocked: nobody holds the leader key.
func (v *View) IsUnlocked() bool { return v.Leader == nil || v.Leader.Name == "" }

// LeaderName is the lock holder's name, "" when unlocked.
func (v *View) LeaderName() string {
	if v.IsUnlocked() {
		return ""
	}
	return v.Leader.Name
}

// HasLock reports whether name holds the leader key in this view.
func (v *View) HasLock(name string) bool { return !v.IsUnlocked() && v.Leader.Name == name }

// Timeline is the cluster timeline proven by the history key (0 when unknown).
func (v *View) Timeline() int64 { return v.History.LastTimeline() }

// IsEmpty is Patroni's "cluster is empty": nothing at all under the prefix.
func (v *View) IsEmpty() bool {
	return v.Initialize == nil && v.Config == nil && v.IsUnlocked() && v.Status.Optime == 0 &&
		len(v.Members) == 0 && v.Failover == nil && !v.Sync.Present && v.History == nil && v.Failsafe == nil
}

var sysidPattern = regexp.MustCompile(`^[0-9]{10,}$`)

// IsValidSysid: the initialize key holds a real system identifier.
func IsValidSysid(s string) bool { return sysidPattern.MatchString(s) }

// SlotName derives a replication slot name from a member name (dcs.md §10): lower case,
// '-' and '.' become '_', any other character outside [a-z0-9_] becomes u+4-digit code
// point, truncated to 63 characters.
func SlotName(member string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(member) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		case r == '-' || r == '.':
			b.WriteByte('_')
		default:
			fmt.Fprintf(&b, "u%04d", r)
		}
	}
	s := b.String()
	if len(s) > 63 {
		s = s[:63]
	}
	return s
}
