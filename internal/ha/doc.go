// Package ha holds Patroni's HA decisions (ha-loop.md) as a pure function, and (in
// files added by the executor) the loop that carries them out.
//
// # Decide
//
// Decide(Input) Plan computes one HA cycle from the cluster View read from the DCS, the
// Local observations of this node (PostgreSQL state, background task, peers' statuses,
// the HA Memory kept between cycles), the Settings and the time. It reads no clock,
// does no I/O, starts no goroutine and uses no randomness.
//
// # Phases and gates
//
// Several of Patroni's steps depend on the result of an operation made earlier in the
// same cycle: acquire_lock succeeded → promote; update_lock failed → demote; a CAS on
// /sync lost → stop; the initialize race won → bootstrap. Such operations are Gates.
// A cycle is a short series of Decide calls ("phases"):
//
//	in.Results = nil
//	for {
//		p := ha.Decide(in)
//		run(p.Actions...)            // in order; PostgreSQL, callbacks, fire-and-forget DCS writes
//		if p.Gate == nil {           // cycle done
//			log(p.Logs, p.Message); if p.TouchMember { touchMember() }
//			memory = p.Memory
//			break
//		}
//		log(p.Logs)
//		in.Results = append(in.Results, runGate(p.Gate)) // Result{Gate: name, OK, DCSError, Started, ...}
//	}
//
// Within one cycle the executor passes the same View, Local (including Memory), Settings
// and Now to every phase; only Results grows. Decide replays the cycle from the start,
// consuming one Result per gate it meets, and returns only the actions after the last
// answered gate, so every action is returned exactly once. Because Decide is
// deterministic, the replay takes the same path up to the new result.
//
// Gates: AcquireLock, UpdateLock, TakeLeader, ReloadView, InitializeRace, WriteSync,
// DeleteSync, ActivateWatchdog, FetchPeers, CheckDivergence, PostFailsafe, SyncSlots.
// A DCSError on AcquireLock, UpdateLock or ReloadView sends the cycle to the DCS
// failure handling (ha-loop.md §15), like Patroni's DCSError; on the other gates it just
// counts as "not OK". Every other action is run without feeding a result back: errors of
// fire-and-forget DCS writes (SetFailover, DeleteLock, WriteHistory, ...) are logged,
// as Patroni's catch-all wrappers do.
//
// Peers: the leader race and failover feasibility need GET /patroni of other members.
// The executor may gather them before the cycle (NeedsPeers lists whom; set
// Local.PeersFetched); otherwise Decide asks with a FetchPeers gate the first time it
// needs them. A member missing from the answer is "not reachable".
//
// # Safety rules kept here
//
//   - Promote is emitted only right after an AcquireLock or UpdateLock gate succeeded in
//     the same cycle (enforcePrimaryRole is reachable only from there).
//   - is_leader (Memory.LockRenewedAt) counts from when the successful lock operation
//     was *started*, and is dropped whenever the view shows another holder; a node
//     waking from a freeze therefore trusts nothing until its UpdateLock, which the
//     store must compare against the current holder, succeeds again.
//   - A lock holder whose UpdateLock fails demotes (immediate-nolock), or on a DCS error
//     demotes offline unless failsafe mode proves all members agree.
//   - /sync only lists standbys PostgreSQL reports as sync under the live
//     synchronous_standby_names: names are added to ssn before /sync and removed from
//     /sync before ssn, each step being a separate phase, so a crash between steps never
//     leaves /sync naming a node outside ssn.
//
// # Differences from Patroni
//
//   - Patroni sleeps 2 s inside a few steps (after assigning new sync standbys, before
//     following after a failed race); Decide does not sleep: the newly confirmed sync
//     standby reaches /sync one cycle later. Residual delays of scheduled actions become
//     a Sleep action.
//   - get_clone_member picks a random clonefrom member; Decide takes the first by name.
//   - Quorum commit (synchronous_mode: quorum) takes part in the leader race with votes,
//     but its /sync bookkeeping uses the multisync rules (all listed standbys confirm),
//     which is stricter than Patroni's QuorumStateResolver.
//
// Safety fixes found by the simulator (internal/sim), each pinned by a scenario named
// after its seed:
//   - A running primary without the lock may retake it only if, in synchronous mode, it
//     is named in /sync, and no reachable member runs as primary or reports a newer
//     timeline (a frozen ex-primary otherwise wins before the new primary writes
//     /history).
//   - Failsafe: only a primary whose lock (or previous failsafe round) was confirmed
//     less than ttl ago may claim it; the round asks the members it last wrote to
//     /failsafe; members missing from /failsafe never race or count as candidates,
//     for manual failover/switchover too, and do not block the listed members.
//   - After bootstrap in synchronous mode /sync is claimed in the same cycle.
//   - A switchover candidate outside /sync does not make the other members wait.
//
// Executor obligations learned from the simulator: pass time.Now() values (monotonic)
// as Now and Result.Started; if a cycle stalls (e.g. the process was frozen: the time
// since the cycle started exceeds ttl/2 + 4 × retry_timeout) discard the rest of its
// plan and start a new cycle; and right before pg_ctl promote check that is_leader
// still holds (Memory.LockRenewedAt + ttl > now).
package ha
