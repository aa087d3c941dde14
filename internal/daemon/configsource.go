package daemon

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/patroni-go/patroni/internal/api"
	"github.com/patroni-go/patroni/internal/callback"
	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/config"
	"github.com/patroni-go/patroni/internal/ha"
	"github.com/patroni-go/patroni/internal/pg"
	"github.com/patroni-go/patroni/internal/watchdog"
)

// watchdogConfig maps the local watchdog section.
func watchdogConfig(c *config.Config) watchdog.Config {
	return watchdog.Config{Mode: string(c.Watchdog.Mode), Device: c.Watchdog.Device, Driver: c.Watchdog.Driver,
		SafetyMargin: c.Watchdog.SafetyMargin}
}

// configManager keeps the local and dynamic configuration and hands the HA loop the
// settings of each cycle (ha.ConfigSource), PostgreSQL its options, and the REST API its
// restapi section.
type configManager struct {
	log     *slog.Logger
	path    string
	environ []string // the environment at startup, PATRONI_* variables included

	mu         sync.Mutex
	local      *config.Config
	dynamic    *config.Dynamic
	dynVersion int64
	pgOpts     pg.Options

	// Set once the parts exist; changes are pushed to them.
	srv       *pg.Server
	api       *api.Server
	callbacks *callback.Runner
	wd        *watchdog.Watchdog
}

func newConfigManager(path string, environ []string, local *config.Config, log *slog.Logger) (*configManager, error) {
	m := &configManager{log: log, path: path, environ: environ, local: local}
	m.dynamic = m.initialDynamic()
	opts, err := m.buildPGOptions()
	if err != nil {
		return nil, err
	}
	m.pgOpts = opts
	return m, nil
}

// initialDynamic is the cached patroni.dynamic.json, else bootstrap.dcs.
func (m *configManager) initialDynamic() *config.Dynamic {
	if b, err := os.ReadFile(m.cachePath()); err == nil {
		if raw, err := config.DecodeJSONMap(b); err == nil {
			if d := config.ParseDynamic(raw); d.Rejected == nil {
				return d
			}
		}
	}
	return config.ParseDynamic(config.DeepCopyMap(m.local.Bootstrap.DCS))
}

func (m *configManager) cachePath() string {
	return filepath.Join(m.local.Postgresql.DataDir, "patroni.dynamic.json")
}

func (m *configManager) buildPGOptions() (pg.Options, error) {
	eff, err := m.local.Effective(m.dynamic)
	if err != nil {
		return pg.Options{}, err
	}
	return pgOptions(m.local, eff, m.dynamic, m.log)
}

// Apply folds a new dynamic configuration in when the config key changed.
func (m *configManager) Apply(v *cluster.View) (ha.Settings, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	changed := false
	if v != nil && v.Config.IsValid() && v.Config.ModifyVersion != m.dynVersion {
		d := config.ParseDynamic(v.Config.Data)
		if d.Rejected != nil {
			m.log.Error("the dynamic configuration in the DCS is rejected; keeping the previous one", "error", d.Rejected)
		} else {
			for _, p := range d.Problems {
				m.log.Warn(p)
			}
			if d.FailsafeMode && d.TTL < d.LoopWait+d.RetryTimeout+5 {
				// The simulator found split brains below this bound: the failsafe round
				// (DCS timeout plus the POST /failsafe round) must end within the lock's ttl.
				m.log.Warn(fmt.Sprintf("failsafe_mode needs ttl >= loop_wait + retry_timeout + 5 (%d < %d + %d + 5): failsafe will not be claimed",
					d.TTL, d.LoopWait, d.RetryTimeout))
			}
			prev := m.dynamic
			m.dynamic, m.dynVersion = d, v.Config.ModifyVersion
			changed = m.refreshPG()
			if !reflect.DeepEqual(prev.Raw, d.Raw) {
				m.saveCache()
			}
		}
	}
	return m.settingsLocked(), changed
}

// refreshPG rebuilds PostgreSQL's options; true when they changed (mu held).
func (m *configManager) refreshPG() bool {
	opts, err := m.buildPGOptions()
	if err != nil {
		m.log.Error("the new configuration cannot be applied to PostgreSQL", "error", err)
		return false
	}
	if reflect.DeepEqual(opts, m.pgOpts) {
		return false
	}
	m.pgOpts = opts
	if m.srv != nil {
		if err := m.srv.SetOptions(opts); err != nil {
			m.log.Error("failed to apply PostgreSQL options", "error", err)
			return false
		}
	}
	return true
}

// saveCache writes patroni.dynamic.json atomically (mu held).
func (m *configManager) saveCache() {
	dir := m.local.Postgresql.DataDir
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return
	}
	b, err := json.Marshal(m.dynamic.Raw)
	if err != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, "patroni.dynamic.json.")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Chmod(tmp.Name(), 0o600) != nil || os.Rename(tmp.Name(), m.cachePath()) != nil {
		os.Remove(tmp.Name())
	}
}

func (m *configManager) settingsLocked() ha.Settings {
	d, l := m.dynamic, m.local
	s := ha.Settings{
		TTL: secs(d.TTL), LoopWait: secs(d.LoopWait), RetryTimeout: secs(d.RetryTimeout),
		MaximumLagOnFailover: d.MaximumLagOnFailover, MaximumLagOnSyncNode: d.MaximumLagOnSyncnode,
		PrimaryStartTimeout: secs(d.PrimaryStartTimeout), PrimaryStopTimeout: secs(d.PrimaryStopTimeout),
		SynchronousModeStrict: d.SynchronousModeStrict, SynchronousNodeCount: d.SyncNodeCount(),
		FailsafeMode: d.FailsafeMode, CheckTimeline: d.CheckTimeline, Paused: d.Pause,
		UsePgRewind:                           m.pgOpts.UsePgRewind,
		RemoveDataDirectoryOnRewindFailure:    m.pgOpts.RemoveDataDirectoryOnRewindFailure,
		RemoveDataDirectoryOnDivergedTimeline: m.pgOpts.RemoveDataDirectoryOnDivergedTimelines,
		StandbyCluster:                        d.IsStandbyCluster(),
		HasBootstrapSection:                   l.Raw["bootstrap"] != nil,
		ReplicaWithoutLeader:                  m.replicaWithoutLeader(),
		MaxTimelinesHistory:                   d.MaxTimelinesHistory,
		Tags: ha.LocalTags{NoFailover: l.Tags.NoFailover(), FailoverPriority: int64(l.Tags.FailoverPriority()),
			ReplicateFrom: l.Tags.ReplicateFrom(), NoSync: l.Tags.NoSync(), NoStream: l.Tags.NoStream()},
	}
	switch d.SynchronousMode {
	case config.SyncOn:
		s.SynchronousMode = ha.SyncOn
	case config.SyncQuorum:
		s.SynchronousMode = ha.SyncQuorum
	}
	switch l.Watchdog.Mode {
	case config.WatchdogRequired:
		s.Watchdog = ha.WatchdogRequired
	case config.WatchdogOff:
		s.Watchdog = ha.WatchdogOff
	default: // absent or automatic
		s.Watchdog = ha.WatchdogAutomatic
	}
	return s
}

func secs(n int) time.Duration { return time.Duration(n) * time.Second }

// replicaWithoutLeader: a configured replica method can run without a leader.
func (m *configManager) replicaWithoutLeader() bool {
	for _, name := range m.pgOpts.CreateReplicaMethods {
		if rm, ok := m.pgOpts.ReplicaMethods[name]; ok && name != "basebackup" && rm.NoLeader {
			return true
		}
	}
	return false
}

// DynamicJSON is the dynamic configuration this node would write to the config key.
func (m *configManager) DynamicJSON() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	raw := m.dynamic.Raw
	if raw == nil {
		raw = map[string]any{}
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return []byte("{}")
	}
	return b
}

// Member is the static part of the member key.
func (m *configManager) Member() ha.MemberStatic {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.local
	s := ha.MemberStatic{APIURL: apiURL(l.RestAPI), ConnURL: connURL(l.Postgresql, l.Postgresql.ConnectAddress),
		Version: config.Version, Tags: l.Tags.Published()}
	if l.Postgresql.ProxyAddress != "" {
		s.ProxyURL = connURL(l.Postgresql, l.Postgresql.ProxyAddress)
	}
	if len(s.Tags) == 0 {
		s.Tags = nil
	}
	return s
}

// ReloadLocal re-reads the configuration file and applies what changed.
func (m *configManager) ReloadLocal() (bool, error) {
	cfg, err := config.Load(m.path, m.environ)
	if err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if reflect.DeepEqual(cfg.Raw, m.local.Raw) {
		m.reloadTLS()
		return false, nil
	}
	if cfg.Name != m.local.Name || cfg.Scope != m.local.Scope {
		return false, fmt.Errorf("name and scope cannot change on reload")
	}
	m.local = cfg
	m.log.Info("Reloaded the configuration file", "path", m.path)
	for _, w := range cfg.Tags.Warnings() {
		m.log.Warn(w)
	}
	if m.callbacks != nil {
		m.callbacks.SetCommands(cfg.Postgresql.Callbacks)
	}
	if m.wd != nil {
		m.wd.Reload(watchdogConfig(cfg))
	}
	if m.api != nil {
		if err := m.api.Reconfigure(apiConfig(cfg.RestAPI)); err != nil {
			m.log.Error("failed to apply the restapi section", "error", err)
		}
	}
	m.reloadTLS()
	return m.refreshPG(), nil
}

func (m *configManager) reloadTLS() {
	if m.api != nil && m.local.RestAPI.CertFile != "" {
		if err := m.api.ReloadTLS(); err != nil {
			m.log.Error("failed to reload the REST API certificate", "error", err)
		}
	}
}

// UseSlots, PermanentPhysicalSlots and IgnoredSlot make the manager an ha.SlotPolicy.
func (m *configManager) UseSlots() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dynamic.UseSlots
}

func (m *configManager) PermanentPhysicalSlots() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for name, s := range m.dynamic.PermanentSlots {
		if s.Type == "physical" {
			out = append(out, name)
		}
	}
	return out
}

// PermanentSlots and MemberSlotsTTL complete ha.SlotPolicy (Patroni 4.1 slots).
func (m *configManager) PermanentSlots() map[string]ha.PermanentSlot {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]ha.PermanentSlot, len(m.dynamic.PermanentSlots))
	for name, s := range m.dynamic.PermanentSlots {
		out[name] = ha.PermanentSlot{Type: s.Type, Database: s.Database, Plugin: s.Plugin, ClusterType: s.ClusterType}
	}
	return out
}

func (m *configManager) MemberSlotsTTL() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return time.Duration(m.dynamic.MemberSlotsTTL) * time.Second
}

var _ ha.SlotPolicy = (*configManager)(nil)

func (m *configManager) IgnoredSlot(name, typ, database, plugin string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.dynamic.IgnoreSlots {
		if r.Matches(name, typ, database, plugin) {
			return true
		}
	}
	return false
}

// RemoteUpstream is the standby cluster's remote primary (nil when not a standby cluster).
func (m *configManager) RemoteUpstream() *pg.Upstream {
	m.mu.Lock()
	defer m.mu.Unlock()
	sc := m.dynamic.StandbyCluster
	if sc == nil || (sc.Host == "" && sc.Port == "" && sc.RestoreCommand == "") {
		return nil // a standby cluster needs one of host, port, restore_command
	}
	conn := pg.ConnParams{}
	if sc.Host != "" {
		conn["host"] = sc.Host
	}
	if sc.Port != "" {
		if _, err := strconv.Atoi(sc.Port); err == nil {
			conn["port"] = sc.Port
		}
	}
	return &pg.Upstream{Name: ha.RemoteMember, Conn: conn, Remote: true, PrimarySlotName: sc.PrimarySlotName,
		RestoreCommand: sc.RestoreCommand, ArchiveCleanupCommand: sc.ArchiveCleanupCommand,
		RecoveryMinApplyDelay: sc.RecoveryMinApplyDelay, CreateReplicaMethods: sc.CreateReplicaMethods}
}
