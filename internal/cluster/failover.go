package cluster

import (
	"fmt"
	"strings"
	"time"
)

// Failover is the failover key: a requested switchover (Leader set) or manual failover
// (only Member set), optionally scheduled. An empty Failover means "nothing requested";
// Patroni clears the key by writing {} rather than deleting it.
type Failover struct {
	Leader      string     // switch over from this leader
	Member      string     // the candidate ("member" in the DCS value)
	ScheduledAt *time.Time // nil when not scheduled
	// ScheduledAtRaw keeps an unparsable scheduled_at so the leader can discard it.
	ScheduledAtRaw string
	Version        int64
}

// IsEmpty is Patroni's "no failover requested": neither leader nor candidate.
func (f *Failover) IsEmpty() bool { return f == nil || (f.Leader == "" && f.Member == "") }

// Action names the request the way Patroni logs it.
func (f *Failover) Action() string {
	if f != nil && f.Leader != "" {
		return "switchover"
	}
	return "manual failover"
}

// Encode writes {"leader":..,"member":..,"scheduled_at":..}, omitting empty fields; an
// empty Failover encodes as {}.
func (f Failover) Encode() ([]byte, error) {
	var fs []field
	if f.Leader != "" {
		fs = append(fs, field{"leader", f.Leader})
	}
	if f.Member != "" {
		fs = append(fs, field{"member", f.Member})
	}
	if f.ScheduledAt != nil {
		fs = append(fs, field{"scheduled_at", FormatTimestamp(*f.ScheduledAt)})
	}
	return marshalObject(fs)
}

// ParseFailover reads a failover value: a JSON object, or the legacy "leader:candidate"
// or bare "leader" string. JSON that is not an object means "nothing requested".
func ParseFailover(raw []byte) (Failover, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return Failover{}, nil
	}
	obj, err := decodeObject(raw)
	if err != nil {
		if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") || strings.HasPrefix(s, "\"") {
			return Failover{}, fmt.Errorf("failover value is not a JSON object: %w", err)
		}
		leader, candidate, _ := strings.Cut(s, ":")
		return Failover{Leader: strings.TrimSpace(leader), Member: strings.TrimSpace(candidate)}, nil
	}
	var f Failover
	f.Leader, _ = asString(obj["leader"])
	f.Member, _ = asString(obj["member"])
	if sa, ok := asString(obj["scheduled_at"]); ok && sa != "" {
		t, perr := ParseTimestamp(sa)
		if perr != nil {
			f.ScheduledAtRaw = sa
			return f, fmt.Errorf("failover scheduled_at: %w", perr)
		}
		f.ScheduledAt = &t
	}
	return f, nil
}

var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
}

// ParseTimestamp accepts the ISO-8601 forms Patroni's writers and users produce. A time
// without a zone is taken as UTC.
func ParseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timestampLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unparsable timestamp %q", s)
}

// FormatTimestamp writes t like Python's datetime.isoformat(): microseconds only when
// non-zero, and the zone as +HH:MM.
func FormatTimestamp(t time.Time) string {
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02T15:04:05.000000-07:00")
	}
	return t.Format("2006-01-02T15:04:05-07:00")
}
