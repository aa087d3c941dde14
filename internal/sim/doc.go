// Package sim is a deterministic simulation of a Patroni cluster: one seed drives a
// fake clock, a fake DCS (TTL leases, create-if-absent, compare-and-set), fake
// PostgreSQL servers (WAL with unique records, timelines, streaming replication with
// lag, synchronous commit), and N members each running the real ha.Decide through a
// small executor. Random faults (machine crash, whole-machine and Patroni-only
// freezes, a freeze between a gate result and the next phase, DCS partition and
// outage, member partitions, slow replication, Patroni kill, switchover/failover
// requests, clock drift of ±100 ppm) run for FaultPhase; then everything heals.
//
// The invariants (check.go) are checked every 100 ms of simulated time and at every
// promotion. A failing seed is replayed with
//
//	go test ./internal/sim -run 'TestSeed$' -seed=N -simtrace
//
// TestSeeds runs 10,000 seeds; TestSoak runs more with -soak.seeds=N.
package sim
