// Package pg controls one PostgreSQL server: binaries, configuration files,
// the postmaster process, queries, bootstrap, replica creation, rewind and
// replication slots. It does the work on the database and decides nothing
// about high availability: the HA executor calls it.
//
// Everything the package needs comes in through Options, so it does not
// depend on the configuration package.
package pg
