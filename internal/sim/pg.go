package sim

import (
	"strings"
	"time"
)

// rec is one WAL record. IDs are unique across the simulation, so two WALs share a
// history exactly as far as their records are identical.
type rec struct {
	id    int64 // > 0 client write, < 0 internal record
	tl    int64
	at    time.Time // when the primary wrote it (replication lag is measured from it)
	write bool
}

// pgServer is a fake PostgreSQL: a WAL, a timeline, a role and a replication upstream.
type pgServer struct {
	name      string
	sysid     string
	empty     bool
	running   bool
	readyAt   time.Time // accepting connections from then on (state "starting" before)
	primary   bool
	tl        int64
	wal       []rec
	upstream  string // primary_conninfo target
	ssn       []string
	ssnNum    int
	ssnStrict bool // the strict placeholder: no standby can confirm
	control   string
	// promoteAt: a running promotion completes then.
	pendingPromote bool
}

func (p *pgServer) lsn() int64 { return int64(len(p.wal)) }

func (p *pgServer) ready(now time.Time) bool { return p.running && !now.Before(p.readyAt) }

// writable: a client commit would be accepted.
func (p *pgServer) writable(now time.Time) bool { return p.ready(now) && p.primary }

// isPrefix reports whether a is a prefix of b. A record ID is created once, after one
// specific history, and only ever copied together with that history, so two WALs
// agree up to index i exactly when their records at i are the same: O(1).
func isPrefix(a, b []rec) bool {
	if len(a) > len(b) {
		return false
	}
	return len(a) == 0 || a[len(a)-1].id == b[len(a)-1].id
}

// commonPrefix is the length of the shared history (binary search, see isPrefix).
func commonPrefix(a, b []rec) int {
	lo, hi := 0, min(len(a), len(b)) // a[:lo] == b[:lo] holds
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if a[mid-1].id == b[mid-1].id {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

func (p *pgServer) lastTL() int64 {
	if len(p.wal) == 0 {
		return 1
	}
	return p.wal[len(p.wal)-1].tl
}

func (p *pgServer) maxTL() int64 {
	m := p.tl
	for _, r := range p.wal {
		m = max(m, r.tl)
	}
	return m
}

// stop shuts PostgreSQL down (clean unless immediate).
func (p *pgServer) stop(immediate bool) {
	if !p.running {
		return
	}
	p.running, p.pendingPromote = false, false
	switch {
	case immediate && p.primary:
		p.control = "in production"
	case immediate:
		p.control = "in archive recovery"
	case p.primary:
		p.control = "shut down"
	default:
		p.control = "shut down in recovery"
	}
}

// crash kills the postmaster (machine crash or kill -9).
func (p *pgServer) crash() { p.stop(true) }

// start brings PostgreSQL up; asReplica writes standby.signal with upstream.
func (p *pgServer) start(now time.Time, startup time.Duration, asReplica bool, upstream string) {
	p.running, p.readyAt = true, now.Add(startup)
	p.primary = !asReplica
	p.upstream = ""
	if asReplica {
		p.upstream = upstream
		p.control = "in archive recovery"
	} else {
		p.control = "in production"
	}
	p.tl = max(p.tl, p.lastTL())
}

// parseSSN reads the simplified synchronous_standby_names the executor rendered.
func (p *pgServer) setSSN(names []string, num int) {
	p.ssn, p.ssnNum, p.ssnStrict = nil, 0, false
	for _, n := range names {
		if n == "*" {
			p.ssnStrict = true
			return
		}
		p.ssn = append(p.ssn, strings.ToLower(n))
	}
	p.ssnNum = num
	if p.ssnNum == 0 {
		p.ssnNum = len(p.ssn)
	}
}

func (p *pgServer) ssnString() string {
	if p.ssnStrict {
		return "__patroni_strict_sync_replica_placeholder__"
	}
	if len(p.ssn) == 0 {
		return ""
	}
	if len(p.ssn) == 1 {
		return p.ssn[0]
	}
	return itoa(p.ssnNum) + " (" + strings.Join(p.ssn, ",") + ")"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func (p *pgServer) inSSN(name string) bool {
	for _, n := range p.ssn {
		if n == strings.ToLower(name) {
			return true
		}
	}
	return false
}
