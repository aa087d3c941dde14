package api

import (
	"context"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// noVersion writes without comparing; equal to dcs.NoVersion.
const noVersion int64 = -1

// Store is the part of dcs.Store the API writes through (dcs.Store satisfies it).
type Store interface {
	Load(ctx context.Context) (*cluster.View, error)
	SetConfig(ctx context.Context, value []byte, version int64) (bool, error)
	SetFailover(ctx context.Context, f cluster.Failover, version int64) (bool, error)
}

// RestartRequest is a validated POST /restart body.
type RestartRequest struct {
	Schedule        *time.Time // nil: restart now
	Role            string     // "": any; else primary, standby_leader or replica
	PostgresVersion string     // "": any; else restart only if running version is lower
	RestartPending  bool       // restart only if a restart is pending
	Timeout         int64      // seconds; 0: primary_start_timeout
}

// FailsafeRequest is a POST /failsafe body from a leader that lost the DCS.
type FailsafeRequest struct {
	Name    string
	ConnURL string
	APIURL  string
	Slots   map[string]int64
}

// Node is what the API asks of the HA side. Implementations must be safe for
// concurrent calls from request goroutines.
type Node interface {
	// Restart restarts PostgreSQL now if req's conditions hold, blocking until it is
	// up or the timeout passes. ok=false with Patroni's message ("restart conditions
	// are not satisfied", "restart already in progress", "postgres is still starting",
	// "restart failed") answers 503; ok=true with "restarted successfully" 200; err 400.
	Restart(ctx context.Context, req RestartRequest) (ok bool, message string, err error)
	// ScheduleRestart stores a scheduled restart; false if one is already scheduled.
	ScheduleRestart(req RestartRequest) bool
	// CancelScheduledRestart drops the scheduled restart; false if none was scheduled.
	CancelScheduledRestart() bool
	// Reload schedules what SIGHUP does: re-read the configuration, apply it, reload
	// PostgreSQL if needed and the REST TLS certificate (Server.ReloadTLS).
	Reload()
	// Reinitialize starts a reinit (asynchronously). A non-empty refusal answers 503
	// ("Cluster has no leader, can not reinitialize", "I am the leader, can not
	// reinitialize", "<action> already in progress").
	Reinitialize(force, fromLeader bool) (refusal string)
	// Shutdown is POST /sigterm; Patroni treats it as a no-op outside its test suite.
	Shutdown()
	// ReceiveFailsafe records the leader's failsafe heartbeat. err (e.g. "Running as a
	// leader") answers 500 with err.Error(); else 200 "Accepted" and, if hasLSN, our
	// WAL position in the lsn header.
	ReceiveFailsafe(req FailsafeRequest) (lsn int64, hasLSN bool, err error)
	// Wake makes the HA loop run a cycle now (after config or failover key changes).
	Wake()
}

// PeerChecker decides whether any of the members could be promoted: it asks each
// member's REST API (GET /patroni, 2 s, in parallel) and succeeds when one answers
// reachable, without nofailover and without a failed watchdog.
type PeerChecker interface {
	AnyHealthy(ctx context.Context, members []cluster.Member) bool
}
