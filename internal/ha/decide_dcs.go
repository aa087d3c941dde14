package ha

import (
	"log/slog"
	"time"
)

// handleDCSError is ha-loop.md §15 (with §12 failsafe): the DCS could not be read or a
// lock operation failed with a connection error.
func (d *decider) handleDCSError() string {
	if !d.s.Paused && d.running {
		if d.isPrimary {
			if at, ok := d.checkFailsafeTopology(); ok {
				d.setIsLeader(true, at)
				d.mem.FailsafeActiveAt = at
				d.do(KeepaliveWatchdog{})
				d.gate(SyncSlots{DCSFailed: true})
				return "continue to run as a leader because failsafe mode is enabled and all members are accessible"
			}
			d.mem.FailsafeActiveAt = time.Time{}
			d.logf(slog.LevelInfo, "demoting self because DCS is not accessible and I was a leader")
			d.demote(DemoteOffline)
			return "demoted self because DCS is not accessible and I was a leader"
		}
		if d.s.FailsafeMode {
			d.gate(SyncSlots{DCSFailed: true})
		}
	}
	return "DCS is not accessible"
}

// failsafeRound bounds POST /failsafe to all members: 2 s timeout, one retry.
const failsafeRound = 4 * time.Second

// checkFailsafeTopology: every member of the last known /failsafe map accepts
// POST /failsafe from me. A map without my name (or none at all) fails. The time
// returned is when the confirmation started (replicas count ttl from receiving it).
func (d *decider) checkFailsafeTopology() (time.Time, bool) {
	fs := d.mem.LastFailsafe
	if !d.s.FailsafeMode || fs == nil {
		return time.Time{}, false
	}
	// Only the leader may claim failsafe: its lock (or a previous failsafe round) was
	// confirmed less than ttl ago. A primary that wakes from a freeze with a stale
	// /failsafe cache would otherwise be accepted by every replica (found by the
	// simulator; Patroni 4.1 does not check this).
	// The round must also end before replicas may take over: the failed DCS call took
	// up to retry_timeout after this cycle started and POST /failsafe takes up to 2 × 2 s
	// (sim seed 2043167: a long previous cycle left too little of the ttl).
	deadline := d.now.Add(d.s.RetryTimeout + failsafeRound)
	if t := d.mem.LockRenewedAt; t.IsZero() || !deadline.Before(t.Add(d.s.TTL)) {
		d.logf(slog.LevelInfo, "not claiming failsafe: the leader lock was not confirmed within ttl")
		return time.Time{}, false
	}
	if _, ok := fs[d.me()]; !ok {
		return time.Time{}, false
	}
	if len(fs) == 1 {
		return d.now, true
	}
	r := d.gate(PostFailsafe{Members: fs})
	return r.Started, r.OK
}
