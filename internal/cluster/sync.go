package cluster

import (
	"fmt"
	"sort"
	"strings"
)

// SyncState is the sync key the primary keeps in synchronous mode.
type SyncState struct {
	Leader      string
	SyncStandby []string // sorted member names, as written
	Quorum      int64    // 4.x quorum commit; 0 otherwise
	Version     int64
	Present     bool // the key exists (even if empty)
}

// IsEmpty is Patroni's "empty sync state": absent, unparsable, or without a leader.
func (s *SyncState) IsEmpty() bool { return s == nil || s.Leader == "" }

// Matches reports whether name is the sync leader or one of the standbys. Names compare
// case-insensitively, as PostgreSQL compares synchronous_standby_names.
func (s *SyncState) Matches(name string, includeLeader bool) bool {
	if s.IsEmpty() {
		return false
	}
	if includeLeader && strings.EqualFold(s.Leader, name) {
		return true
	}
	for _, m := range s.SyncStandby {
		if strings.EqualFold(m, name) {
			return true
		}
	}
	return false
}

// Encode writes {"leader":..,"quorum":..,"sync_standby":"a,b"|null} as Patroni 4.1 does.
func (s SyncState) Encode() ([]byte, error) {
	var standby any
	if len(s.SyncStandby) > 0 {
		names := append([]string(nil), s.SyncStandby...)
		sort.Strings(names)
		standby = strings.Join(names, ",")
	}
	return marshalObject([]field{{"leader", s.Leader}, {"quorum", s.Quorum}, {"sync_standby", standby}})
}

// ParseSyncState reads a sync value; anything unusable is the empty state.
func ParseSyncState(raw []byte) (SyncState, error) {
	obj, err := decodeObject(raw)
	if err != nil {
		return SyncState{}, fmt.Errorf("sync value is not a JSON object: %w", err)
	}
	var s SyncState
	s.Leader, _ = asString(obj["leader"])
	s.Quorum, _ = asInt(obj["quorum"])
	if list, ok := asString(obj["sync_standby"]); ok {
		s.SyncStandby = SplitNames(list)
	}
	return s, nil
}

// SplitNames splits a comma-joined name list, tolerating spaces and empty items.
func SplitNames(list string) []string {
	var out []string
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}
