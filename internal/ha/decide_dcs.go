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
			if d.s.FailsafeMode && d.checkFailsafeTopology() {
				d.setIsLeader(true, d.now)
				d.mem.FailsafeActiveAt = d.now
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

// checkFailsafeTopology: every member of the last known /failsafe map accepts
// POST /failsafe from me. A map without my name (or none at all) fails.
func (d *decider) checkFailsafeTopology() bool {
	fs := d.mem.LastFailsafe
	if fs == nil {
		return false
	}
	if _, ok := fs[d.me()]; !ok {
		return false
	}
	if len(fs) == 1 {
		return true
	}
	return d.gate(PostFailsafe{Members: fs}).OK
}
