// Package config turns Patroni's YAML configuration and PATRONI_* environment
// variables into typed Go values, parses the dynamic (DCS) configuration
// leniently, assembles the effective configuration with Patroni's precedence
// rules and validates a configuration the way `patroni --validate-config` does.
package config

// Version is the Patroni release whose behaviour this implementation follows.
// `patroni --version` prints "patroni " + Version.
const Version = "4.1.4"
