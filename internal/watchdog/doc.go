// Package watchdog drives a Linux watchdog device the way Patroni does, so that a
// leader whose Patroni process freezes is reset by the kernel before its leader key
// expires and a replica is promoted.
//
// The HA executor calls Activate when it becomes (or stays) leader without a running
// watchdog, Keepalive after every successful leader-key update, and Disable when it
// pauses, demotes or shuts down. The device timeout is ttl − safety_margin (ttl/2 for a
// margin of −1); it must leave at least loop_wait between two keepalives ("timing
// slack" ≥ 0) or the watchdog is unusable.
//
// Modes: off does nothing; automatic uses a watchdog when one works and only logs
// failures; required makes Activate return an error so the caller refuses to lead,
// and IsHealthy reports false when activation cannot work.
//
// Drivers: "default" opens the device (normally /dev/watchdog) write-only and uses the
// WDIOC ioctls; "testing" is Patroni's acceptance-test driver: the same file (a named
// pipe read by the test harness) with the timeout ioctls turned into plain writes
// ("Ctimeout=<n>\n"). Keepalive writes "1"; closing writes the magic "V" first.
package watchdog
