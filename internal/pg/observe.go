package pg

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReplicationRow is one streaming walsender (pg_stat_replication).
type ReplicationRow struct {
	PID             int    `json:"pid"`
	ApplicationName string `json:"application_name"`
	State           string `json:"state"`
	SyncState       string `json:"sync_state"`
	WriteLSN        LSN    `json:"write_lsn"`
	FlushLSN        LSN    `json:"flush_lsn"`
	ReplayLSN       LSN    `json:"replay_lsn"`
}

// State is what the local server is right now, from one query.
type State struct {
	Running    bool // a postmaster runs
	Ready      bool // it answered the query
	InRecovery bool
	Timeline   uint32 // primary: current TLI; replica: received (or checkpoint) TLI

	WALPosition  LSN // primary: current flush LSN; replica: max(received, replayed)
	ReceivedLSN  LSN // replica
	ReplayedLSN  LSN // replica
	ReplayPaused bool

	ReplicationState string // "streaming", "in archive recovery" or "" (replicas only)
	ReceiverSlot     string // primary_slot_name the WAL receiver uses
	ReceiverConninfo string

	PostmasterStart time.Time
	PendingRestart  []string // GUCs whose change waits for a restart

	SynchronousStandbyNames string
	SynchronousCommit       string
	Replication             []ReplicationRow // streaming walsenders (primary)
}

// observeSQL fetches everything in one round trip (PG ≥ 10).
const observeSQL = `SELECT pg_catalog.pg_is_in_recovery(),
 CASE WHEN pg_catalog.pg_is_in_recovery() THEN 0 ELSE ('x' || pg_catalog.substr(pg_catalog.pg_walfile_name(
  pg_catalog.pg_current_wal_lsn()), 1, 8))::bit(32)::int END,
 CASE WHEN pg_catalog.pg_is_in_recovery() THEN 0
  ELSE pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_flush_lsn(), '0/0')::bigint END,
 COALESCE(pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_last_wal_replay_lsn(), '0/0')::bigint, 0),
 COALESCE(pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_last_wal_receive_lsn(), '0/0')::bigint, 0),
 pg_catalog.pg_is_in_recovery() AND pg_catalog.pg_is_wal_replay_paused(),
 pg_catalog.pg_postmaster_start_time(),
 (SELECT CASE WHEN latest_end_lsn IS NULL THEN NULL ELSE received_tli END FROM pg_catalog.pg_stat_get_wal_receiver()),
 COALESCE((SELECT status FROM pg_catalog.pg_stat_get_wal_receiver()), ''),
 COALESCE((SELECT slot_name FROM pg_catalog.pg_stat_get_wal_receiver()), ''),
 COALESCE((SELECT conninfo FROM pg_catalog.pg_stat_get_wal_receiver()), ''),
 (SELECT timeline_id FROM pg_catalog.pg_control_checkpoint()),
 %s,
 pg_catalog.current_setting('synchronous_commit'),
 pg_catalog.current_setting('synchronous_standby_names'),
 (SELECT pg_catalog.json_agg(r.*) FROM (SELECT w.pid, application_name, w.state, sync_state,
   COALESCE(pg_catalog.pg_wal_lsn_diff(write_lsn, '0/0')::bigint, 0) AS write_lsn,
   COALESCE(pg_catalog.pg_wal_lsn_diff(flush_lsn, '0/0')::bigint, 0) AS flush_lsn,
   COALESCE(pg_catalog.pg_wal_lsn_diff(replay_lsn, '0/0')::bigint, 0) AS replay_lsn
  FROM pg_catalog.pg_stat_get_wal_senders() w, pg_catalog.pg_stat_get_activity(w.pid)
  WHERE w.state = 'streaming') r),
 COALESCE((SELECT pg_catalog.array_agg(name ORDER BY name) FROM pg_catalog.pg_settings WHERE pending_restart),
  '{}'::text[])`

func (s *Server) observeQuery() string {
	restore := "''"
	if s.major >= 12 {
		restore = "pg_catalog.current_setting('restore_command')"
	}
	return fmtSQL(observeSQL, restore)
}

// Observe reports the server's state with one query. A stopped server gives
// State{Running: false} and no error; a running one that does not answer
// gives Running true, Ready false and the error.
func (s *Server) Observe(ctx context.Context) (State, error) {
	st := State{Running: s.IsRunning()}
	if !st.Running {
		return st, nil
	}
	var (
		tli, ckptTLI        int32
		flush, replay, recv int64
		rcvTLI              *int32
		restore             string
		repl                []byte
		pending             []string
	)
	err := s.withConn(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, s.observeQuery()).Scan(&st.InRecovery, &tli, &flush, &replay, &recv,
			&st.ReplayPaused, &st.PostmasterStart, &rcvTLI, &st.ReplicationState, &st.ReceiverSlot,
			&st.ReceiverConninfo, &ckptTLI, &restore, &st.SynchronousCommit, &st.SynchronousStandbyNames,
			&repl, &pending)
	})
	if err != nil {
		return st, err
	}
	st.Ready = true
	st.ReplayedLSN, st.ReceivedLSN = LSN(replay), LSN(recv)
	if !st.InRecovery {
		st.Timeline, st.WALPosition = uint32(tli), LSN(flush)
		st.ReplicationState, st.ReceiverSlot, st.ReceiverConninfo = "", "", ""
	} else {
		st.Timeline = uint32(ckptTLI)
		if rcvTLI != nil {
			st.Timeline = uint32(*rcvTLI)
		}
		st.WALPosition = max(st.ReceivedLSN, st.ReplayedLSN)
		st.ReplicationState = replicationState(st.ReplicationState, restore, s.opts.RecoveryConf, s.major)
	}
	if len(repl) > 0 {
		if err := json.Unmarshal(repl, &st.Replication); err != nil {
			return st, err
		}
	}
	st.PendingRestart = s.mergePending(pending)
	return st, nil
}

func replicationState(receiver, restore string, rc map[string]string, major int) string {
	if receiver == "streaming" {
		return "streaming"
	}
	if restore != "" || major < 12 && rc["restore_command"] != "" {
		return "in archive recovery"
	}
	return ""
}

// mergePending adds command-line GUCs whose desired value differs from the
// one the postmaster was started with (pg_settings cannot see those). Recovery
// settings are left out, as Patroni does: a promoted standby drops them from its
// configuration and PostgreSQL then flags them pending_restart.
func (s *Server) mergePending(fromSettings []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, n := range append(fromSettings, s.cmdlineChanges()...) {
		if !seen[n] && !IsRecoveryParam(n) {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// cmdlineChanges lists command-line GUCs that changed since start.
func (s *Server) cmdlineChanges() []string {
	s.mu.Lock()
	started := s.startArgs
	s.mu.Unlock()
	if started == nil {
		return nil
	}
	sp, err := BuildServerParams(&s.opts, s.major)
	if err != nil {
		return nil
	}
	old := map[string]string{}
	for _, a := range started {
		k, v := splitArg(a)
		old[k] = v
	}
	var out []string
	for _, a := range CmdlineArgs(sp.Params, s.major) {
		k, v := splitArg(a)
		if ov, ok := old[k]; !ok || ov != v {
			out = append(out, k)
		}
	}
	return out
}
