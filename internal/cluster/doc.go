// Package cluster is the shared model of everything a Patroni cluster keeps in its DCS
// (leader, members, config, initialize, failover, sync, history, status, failsafe) and
// its JSON, byte-compatible with what Patroni 4.1 writes and tolerant of what Patroni 3.x
// and foreign writers leave behind. It knows no store: backends hand it raw keys.
package cluster
