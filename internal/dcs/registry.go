package dcs

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
)

// OpenOptions is what every backend needs besides its own config section.
type OpenOptions struct {
	Identity Identity
	Timing   Timing
	Logger   *slog.Logger
	// Consistent asks for linearizable/consistent reads (patronictl); the daemon reads
	// with the backend's default, as Patroni does.
	Consistent bool
}

// Opener builds a Store from a backend's YAML section (as decoded into a map).
type Opener func(section map[string]any, opts OpenOptions) (Store, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Opener{}
)

// Register makes a backend available to Open under its Patroni section name ("etcd3",
// "consul", "zookeeper"). Backends call it from init, so a program selects the backends
// it supports by importing them (import _ ".../internal/dcs/etcd3").
func Register(section string, open Opener) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry[section] = open
}

// unsupported are Patroni DCS sections this implementation does not speak.
var unsupported = map[string]string{
	"etcd":       "the etcd v2 API is not supported (its keys are not visible to v3 clients); use an etcd3 section",
	"exhibitor":  "exhibitor is not supported; use a zookeeper section",
	"kubernetes": "kubernetes is not supported",
	"raft":       "Patroni's built-in raft is not supported",
}

// Open picks the DCS section of a Patroni configuration (the top-level keys; the first
// configured DCS in Patroni's alphabetical module order wins) and opens that backend.
func Open(config map[string]any, opts OpenOptions) (Store, error) {
	names := make([]string, 0, len(config))
	for k := range config {
		names = append(names, k)
	}
	sort.Strings(names)
	registryMu.RLock()
	defer registryMu.RUnlock()
	for _, name := range names {
		if why, ok := unsupported[name]; ok {
			return nil, fmt.Errorf("dcs: %s: %s", name, why)
		}
		open, ok := registry[name]
		if !ok {
			continue
		}
		section, ok := config[name].(map[string]any)
		if !ok && config[name] != nil {
			return nil, fmt.Errorf("dcs: the %s section is not a mapping", name)
		}
		return open(section, opts)
	}
	known := make([]string, 0, len(registry))
	for k := range registry {
		known = append(known, k)
	}
	sort.Strings(known)
	return nil, fmt.Errorf("dcs: no DCS section configured (one of: %s)", strings.Join(known, ", "))
}
