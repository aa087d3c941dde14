package ha

import (
	"fmt"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// The scenario files under testdata/scenarios describe one cycle each: settings, the
// DCS view, the local state, scripted gate results, and the expected transcript.

var scenarioNow = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const defaultSysid = "7000000000000000001"

type scenario struct {
	Name     string              `yaml:"name"`
	Settings scSettings          `yaml:"settings"`
	View     scView              `yaml:"view"`
	Local    scLocal             `yaml:"local"`
	Peers    map[string]scPeer   `yaml:"peers"`
	Results  map[string][]string `yaml:"results"` // gate name → outcomes in order: ok, fail, dcs-error, needed
	Slots    []string            `yaml:"slots"`   // SyncSlots answer
	NoLogs   bool                `yaml:"nologs"`
	Expect   string              `yaml:"expect"`
	// ReloadLeader changes the leader key seen by ReloadView ("none" = unlocked).
	ReloadLeader string `yaml:"reload_leader"`
	// ViewError: the initial DCS read failed.
	ViewError bool `yaml:"view_error"`
}

type scSettings struct {
	TTL                 *int   `yaml:"ttl"`
	LoopWait            *int   `yaml:"loop_wait"`
	RetryTimeout        *int   `yaml:"retry_timeout"`
	MaxLag              *int64 `yaml:"maximum_lag_on_failover"`
	MaxLagSync          int64  `yaml:"maximum_lag_on_syncnode"`
	PrimaryStartTimeout *int   `yaml:"primary_start_timeout"`
	SyncMode            string `yaml:"synchronous_mode"`
	Strict              bool   `yaml:"synchronous_mode_strict"`
	SyncCount           int    `yaml:"synchronous_node_count"`
	Failsafe            bool   `yaml:"failsafe_mode"`
	CheckTimeline       bool   `yaml:"check_timeline"`
	Pause               bool   `yaml:"pause"`
	RemoveOnDiverged    bool   `yaml:"remove_data_directory_on_diverged_timelines"`
	Standby             bool   `yaml:"standby_cluster"`
	NoBootstrap         bool   `yaml:"no_bootstrap_section"`
	ReplicaNoLeader     bool   `yaml:"replica_without_leader"`
	NoFailover          bool   `yaml:"nofailover"`
	Priority            *int64 `yaml:"failover_priority"`
	ReplicateFrom       string `yaml:"replicatefrom"`
	NoStream            bool   `yaml:"nostream"`
	Watchdog            string `yaml:"watchdog"`
}

type scView struct {
	Leader     string            `yaml:"leader"`
	Initialize *string           `yaml:"initialize"` // "none" = absent; default = defaultSysid
	NoConfig   bool              `yaml:"no_config"`
	Optime     int64             `yaml:"optime"`
	Timeline   int64             `yaml:"timeline"` // cluster timeline from history (0 = none)
	Members    []scMember        `yaml:"members"`
	Failover   *scFailover       `yaml:"failover"`
	Sync       *scSync           `yaml:"sync"`
	Failsafe   map[string]string `yaml:"failsafe"`
}

type scMember struct {
	Name     string         `yaml:"name"`
	Role     string         `yaml:"role"`
	State    string         `yaml:"state"`
	XLog     *int64         `yaml:"xlog"`
	Timeline *int64         `yaml:"timeline"`
	Tags     map[string]any `yaml:"tags"`
	NoAPI    bool           `yaml:"no_api"`
}

type scFailover struct {
	Leader      string `yaml:"leader"`
	Member      string `yaml:"member"`
	ScheduledAt string `yaml:"scheduled_at"` // offset like "+30s" or a raw bad value "bad:..."
}

type scSync struct {
	Leader   string   `yaml:"leader"`
	Standbys []string `yaml:"standbys"`
}

type scLocal struct {
	Name             string       `yaml:"name"`
	PG               scPG         `yaml:"pg"`
	Async            string       `yaml:"async"`
	Response         string       `yaml:"response"` // none, true, false
	PrePromoteDone   bool         `yaml:"pre_promote_done"`
	Completed        []string     `yaml:"completed"` // "name:ok" / "name:fail"
	PeersFetched     bool         `yaml:"peers_fetched"`
	FailsafeFrom     string       `yaml:"failsafe_from"` // "node1@-5s"
	SSN              string       `yaml:"ssn"`
	Replication      []scWal      `yaml:"replication"`
	ScheduledRestart *scRestart   `yaml:"scheduled_restart"`
	WatchdogRunning  bool         `yaml:"watchdog_running"`
	WatchdogBroken   bool         `yaml:"watchdog_unhealthy"`
	NoCallbackYet    bool         `yaml:"no_callback_yet"`
	Memory           scMemory     `yaml:"memory"`
	OldView          *scOldLeader `yaml:"old_view"`
}

type scOldLeader struct {
	Leader  string   `yaml:"leader"`
	Members []string `yaml:"members"`
}

type scPG struct {
	DataDirError     string `yaml:"data_dir_error"`
	Empty            bool   `yaml:"empty"`
	Stopped          bool   `yaml:"stopped"`
	State            string `yaml:"state"`
	StateSince       string `yaml:"state_since"`
	Role             string `yaml:"role"`
	Primary          bool   `yaml:"primary"`
	Timeline         int64  `yaml:"timeline"`
	WAL              int64  `yaml:"wal"`
	Sysid            string `yaml:"sysid"`
	ClusterState     string `yaml:"cluster_state"`
	RecoveryConf     bool   `yaml:"recovery_conf"`
	CanRewind        bool   `yaml:"can_rewind"`
	Following        string `yaml:"following"`
	ConfStale        bool   `yaml:"conf_stale"`
	NeedsRestart     bool   `yaml:"conf_needs_restart"`
	CheckpointNeeded bool   `yaml:"checkpoint_pending"`
	PendingRestart   bool   `yaml:"pending_restart"`
	ServerVersion    int    `yaml:"server_version"`
	PostmasterStart  string `yaml:"postmaster_start"`
	BackupLabel      bool   `yaml:"backup_label"`
}

type scWal struct {
	Name  string `yaml:"name"`
	State string `yaml:"state"`
	LSN   int64  `yaml:"lsn"`
}

type scRestart struct {
	At              string `yaml:"at"`
	Role            string `yaml:"role"`
	PostgresVersion int    `yaml:"postgres_version"`
	Pending         bool   `yaml:"restart_pending"`
	PostmasterStart string `yaml:"postmaster_start"`
}

type scMemory struct {
	LockRenewed          string          `yaml:"lock_renewed"`
	Recovering           bool            `yaml:"recovering"`
	Bootstrapping        bool            `yaml:"bootstrapping"`
	CrashRecoveryStarted string          `yaml:"crash_recovery_started"`
	ReleasedLeaderKey    string          `yaml:"released_leader_key"`
	Rewind               string          `yaml:"rewind"`
	WasPaused            bool            `yaml:"was_paused"`
	SyncLastSSN          *string         `yaml:"sync_last_ssn"`
	SyncReady            map[string]bool `yaml:"sync_ready"`
	SyncFlushLSN         int64           `yaml:"sync_flush_lsn"`
	StartTimeout         int             `yaml:"start_timeout"`
}

type scPeer struct {
	Unreachable    bool   `yaml:"unreachable"`
	Primary        bool   `yaml:"primary"`
	WAL            int64  `yaml:"wal"`
	Timeline       int64  `yaml:"timeline"`
	NoFailover     bool   `yaml:"nofailover"`
	Priority       *int64 `yaml:"priority"`
	WatchdogFailed bool   `yaml:"watchdog_failed"`
}

func offset(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	d, err := time.ParseDuration(strings.TrimPrefix(s, "+"))
	if err != nil {
		panic(fmt.Sprintf("bad time offset %q", s))
	}
	return scenarioNow.Add(d)
}

func secs(p *int, def int) time.Duration {
	if p == nil {
		return time.Duration(def) * time.Second
	}
	return time.Duration(*p) * time.Second
}

func (s scSettings) build() Settings {
	st := Settings{
		TTL: secs(s.TTL, 30), LoopWait: secs(s.LoopWait, 10), RetryTimeout: secs(s.RetryTimeout, 10),
		MaximumLagOnFailover: 1048576, MaximumLagOnSyncNode: s.MaxLagSync,
		PrimaryStartTimeout:   secs(s.PrimaryStartTimeout, 300),
		SynchronousModeStrict: s.Strict, SynchronousNodeCount: max(s.SyncCount, 1),
		FailsafeMode: s.Failsafe, CheckTimeline: s.CheckTimeline, Paused: s.Pause,
		RemoveDataDirectoryOnDivergedTimeline: s.RemoveOnDiverged, StandbyCluster: s.Standby,
		HasBootstrapSection: !s.NoBootstrap, ReplicaWithoutLeader: s.ReplicaNoLeader,
		Tags: LocalTags{NoFailover: s.NoFailover, FailoverPriority: 1, ReplicateFrom: s.ReplicateFrom, NoStream: s.NoStream},
	}
	if s.MaxLag != nil {
		st.MaximumLagOnFailover = *s.MaxLag
	}
	if s.Priority != nil {
		st.Tags.FailoverPriority = *s.Priority
	}
	if s.NoFailover {
		st.Tags.FailoverPriority = 0
	}
	switch s.SyncMode {
	case "on":
		st.SynchronousMode = SyncOn
	case "quorum":
		st.SynchronousMode = SyncQuorum
	}
	switch s.Watchdog {
	case "required":
		st.Watchdog = WatchdogRequired
	case "automatic":
		st.Watchdog = WatchdogAutomatic
	}
	return st
}

func (m scMember) build() cluster.Member {
	st := m.State
	if st == "" {
		st = "running"
	}
	role := m.Role
	if role == "" {
		role = "replica"
	}
	d := cluster.MemberData{State: st, Role: cluster.Role(role), Tags: m.Tags, XLogLocation: m.XLog,
		Timeline: m.Timeline, ConnURL: "postgres://" + m.Name + ":5432/postgres", Version: "4.1.4"}
	if !m.NoAPI {
		d.APIURL = "http://" + m.Name + ":8008/patroni"
	}
	return cluster.Member{Name: m.Name, Version: 1, MemberData: d}
}

func (v scView) build() *cluster.View {
	out := &cluster.View{Status: cluster.Status{Optime: v.Optime, Present: v.Optime != 0}}
	init := defaultSysid
	if v.Initialize != nil {
		init = *v.Initialize
	}
	if init != "none" {
		out.Initialize = &init
	}
	if !v.NoConfig {
		out.Config = &cluster.Config{Data: map[string]any{"ttl": 30}, Version: 1, ModifyVersion: 1}
	}
	for _, m := range v.Members {
		out.Members = append(out.Members, m.build())
	}
	cluster.SortMembers(out.Members)
	if v.Leader != "" {
		out.Leader = &cluster.Leader{Name: v.Leader, Version: 7, Member: out.Member(v.Leader)}
	}
	if v.Timeline > 1 {
		h := &cluster.History{Version: 3}
		for tl := int64(1); tl < v.Timeline; tl++ {
			h.Lines = append(h.Lines, cluster.NewHistoryLine(tl, tl*1000, "no recovery target specified", "", ""))
		}
		out.History = h
	}
	if f := v.Failover; f != nil {
		fo := cluster.Failover{Leader: f.Leader, Member: f.Member, Version: 5}
		if raw, ok := strings.CutPrefix(f.ScheduledAt, "bad:"); ok {
			fo.ScheduledAtRaw = raw
		} else if f.ScheduledAt != "" {
			t := offset(f.ScheduledAt)
			fo.ScheduledAt = &t
		}
		out.Failover = &fo
	}
	if s := v.Sync; s != nil {
		out.Sync = cluster.SyncState{Leader: s.Leader, SyncStandby: s.Standbys, Version: 9, Present: true}
	}
	if v.Failsafe != nil {
		out.Failsafe = cluster.Failsafe(v.Failsafe)
	}
	return out
}
