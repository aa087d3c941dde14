package ha

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// Action is one step of a Plan. Gate actions additionally need their result fed back.
type Action interface {
	String() string
	isAction()
}

// Gate is an action whose outcome the rest of the cycle depends on. A Plan ends with at
// most one Gate; the executor runs it, appends a Result to Input.Results and calls
// Decide again.
type Gate interface {
	Action
	isGate()
}

type action struct{}

func (action) isAction() {}

type gate struct{ action }

func (gate) isGate() {}

// LogLine is a message Patroni logs during the cycle (besides the cycle message).
type LogLine struct {
	Level slog.Level
	Msg   string
}

// Plan is what one Decide call returns.
type Plan struct {
	// Actions run in order before Gate.
	Actions []Action
	// Gate, when non-nil, must run after Actions; its Result goes into Input.Results
	// for the next Decide call of the same cycle.
	Gate Gate
	// The fields below are only set on the final plan of a cycle (Gate == nil).

	// Message is the cycle result Patroni logs at INFO ("PAUSE: " prefixed when paused).
	Message string
	// TouchMember: publish the member key after the cycle (step O).
	TouchMember bool
	// Memory is the HA state for the next cycle.
	Memory Memory
	// Logs are emitted in order; they belong to this phase only.
	Logs []LogLine
}

// Result answers one Gate.
type Result struct {
	Gate string // the gate's String() prefix, checked for consistency
	OK   bool
	// DCSError: the store was not accessible (errors.Is(err, dcs.ErrUnreachable)).
	DCSError bool
	// Started is when the executor started the operation (lock renewals count from it).
	Started time.Time
	// SyncVersion is the new version after a successful WriteSync.
	SyncVersion int64
	// Peers answers FetchPeers.
	Peers map[string]PeerStatus
	// Slots answers SyncSlots: logical slots to copy from the primary.
	Slots []string
	// Needed answers CheckDivergence: rewind/reinitialize is needed.
	Needed bool
	// View answers ReloadView.
	View *cluster.View
}

func gateName(g Gate) string {
	s := g.String()
	if i := strings.IndexByte(s, '{'); i >= 0 {
		return s[:i]
	}
	return s
}

func kv(name string, pairs ...any) string {
	if len(pairs) == 0 {
		return name
	}
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%v=%v", pairs[i], pairs[i+1])
	}
	b.WriteByte('}')
	return b.String()
}

// ---- gates ----

// AcquireLock creates the leader key if absent (dcs.md §4.1).
type AcquireLock struct{ gate }

// UpdateLock renews the leader key we hold; it must fail if someone else holds it
// (dcs.md §4.2). With WriteStatus the executor also writes /status with the current
// WAL position and slots; Failsafe, when non-nil, is written to /failsafe.
type UpdateLock struct {
	gate
	WriteStatus bool
	Failsafe    cluster.Failsafe
}

// ReloadView re-reads the cluster from the DCS; Result.View carries it (DCSError when
// the read failed).
type ReloadView struct{ gate }

// TakeLeader writes the leader key after a fresh bootstrap (dcs.md §4.3).
type TakeLeader struct{ gate }

// InitializeRace creates initialize = "" if absent; OK means we won.
type InitializeRace struct{ gate }

// WriteSync writes /sync with CAS on Version (-1: no compare).
type WriteSync struct {
	gate
	Leader   string
	Standbys []string
	Quorum   int64
	Version  int64
}

// DeleteSync removes /sync with CAS on Version.
type DeleteSync struct {
	gate
	Version int64
}

// ActivateWatchdog arms the watchdog; OK when active (or not required).
type ActivateWatchdog struct{ gate }

// FetchPeers asks GET /patroni of the named members in parallel (2 s timeout) and
// answers with Result.Peers.
type FetchPeers struct {
	gate
	Names []string
}

// CheckDivergence runs the rewind check against Leader (ha-loop.md §10.1);
// Result.Needed reports whether rewind or reinitialize is needed.
type CheckDivergence struct {
	gate
	Leader string
	Remote bool
}

// PostFailsafe sends POST /failsafe to every listed member but me; OK when all accepted.
type PostFailsafe struct {
	gate
	Members cluster.Failsafe
}

// SyncSlots runs replication slot management (§18); Result.Slots lists logical slots to
// copy from the primary.
type SyncSlots struct {
	gate
	DCSFailed bool
}

func (AcquireLock) String() string      { return "AcquireLock" }
func (TakeLeader) String() string       { return "TakeLeader" }
func (ReloadView) String() string       { return "ReloadView" }
func (InitializeRace) String() string   { return "InitializeRace" }
func (ActivateWatchdog) String() string { return "ActivateWatchdog" }
func (a UpdateLock) String() string {
	if a.Failsafe != nil {
		return kv("UpdateLock", "status", a.WriteStatus, "failsafe", len(a.Failsafe))
	}
	return kv("UpdateLock", "status", a.WriteStatus)
}
func (a WriteSync) String() string {
	return kv("WriteSync", "leader", a.Leader, "standbys", fmt.Sprint(a.Standbys), "version", a.Version)
}
func (a DeleteSync) String() string      { return kv("DeleteSync", "version", a.Version) }
func (a FetchPeers) String() string      { return kv("FetchPeers", "names", fmt.Sprint(a.Names)) }
func (a CheckDivergence) String() string { return kv("CheckDivergence", "leader", a.Leader) }
func (a PostFailsafe) String() string    { return kv("PostFailsafe", "members", len(a.Members)) }
func (a SyncSlots) String() string       { return kv("SyncSlots", "dcs_failed", a.DCSFailed) }
