package ha

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the expect blocks of testdata/scenarios/*.yaml")

func (l scLocal) build(v *cluster.View) Local {
	pg := l.PG
	out := Local{Name: l.Name, APIURL: "http://" + l.Name + ":8008/patroni", ConnURL: "postgres://" + l.Name + ":5432/postgres"}
	p := PGState{DataDirError: pg.DataDirError, DataDirEmpty: pg.Empty, Running: !pg.Stopped && !pg.Empty && pg.DataDirError == "",
		State: pg.State, StateSince: offset(pg.StateSince), Role: cluster.Role(pg.Role), IsPrimary: pg.Primary,
		Timeline: pg.Timeline, WALPosition: pg.WAL, Sysid: pg.Sysid, ClusterState: pg.ClusterState,
		RecoveryConfExists: pg.RecoveryConf, CanRewind: pg.CanRewind, RecoveryConfStale: pg.ConfStale,
		RecoveryConfNeedsRestart: pg.NeedsRestart, CheckpointAfterPromoteDone: !pg.CheckpointNeeded,
		PendingRestart: pg.PendingRestart, ServerVersion: pg.ServerVersion, MajorVersion: 15,
		PostmasterStartTime: pg.PostmasterStart, RestoredFromBackup: pg.BackupLabel}
	if p.State == "" {
		p.State = map[bool]string{true: "running", false: "stopped"}[p.Running]
	}
	if p.Role == "" {
		p.Role = map[bool]cluster.Role{true: cluster.RolePrimary, false: cluster.RoleReplica}[pg.Primary]
	}
	if p.Timeline == 0 {
		p.Timeline = 1
	}
	if p.Sysid == "" {
		p.Sysid = defaultSysid
	}
	switch {
	case pg.Following == "none":
	case pg.Following != "":
		p.FollowingName = pg.Following
	case !pg.Primary:
		p.FollowingName, _ = NodeToFollow(v, l.Name, &Settings{})
	}
	out.PG = p
	out.Async = AsyncState{Action: l.Async, PrePromoteDone: l.PrePromoteDone,
		Response: map[string]ResponseState{"": ResponseNone, "none": ResponseNone, "true": ResponseTrue, "false": ResponseFalse}[l.Response]}
	for _, c := range l.Completed {
		name, res, _ := strings.Cut(c, ":")
		out.Completed = append(out.Completed, TaskResult{Action: name, OK: res == "ok"})
	}
	out.PeersFetched = l.PeersFetched
	if l.FailsafeFrom != "" {
		name, at, _ := strings.Cut(l.FailsafeFrom, "@")
		out.FailsafeLeader = &FailsafeSender{Name: name, APIURL: "http://" + name + ":8008/patroni",
			ConnURL: "postgres://" + name + ":5432/postgres", At: offset(at)}
	}
	out.Sync.SSN = l.SSN
	for _, w := range l.Replication {
		out.Sync.Replication = append(out.Sync.Replication, WalSender{ApplicationName: w.Name, SyncState: w.State, LSN: w.LSN})
	}
	if r := l.ScheduledRestart; r != nil {
		out.ScheduledRestart = &ScheduledRestart{At: offset(r.At), Role: cluster.Role(r.Role),
			PostgresVersion: r.PostgresVersion, RestartPending: r.Pending, PostmasterStartTime: r.PostmasterStart}
	}
	out.WatchdogRunning, out.WatchdogHealthy = l.WatchdogRunning, !l.WatchdogBroken
	out.CallbackFired = !l.NoCallbackYet
	out.Memory = l.Memory.build(v, l.SSN)
	if o := l.OldView; o != nil {
		ov := &cluster.View{}
		for _, n := range o.Members {
			ov.Members = append(ov.Members, scMember{Name: n}.build())
		}
		if o.Leader != "" {
			ov.Leader = &cluster.Leader{Name: o.Leader}
		}
		out.Memory.OldView = ov
	}
	return out
}

var rewindStates = map[string]RewindState{"": RewindInitial, "initial": RewindInitial, "check": RewindCheck,
	"need": RewindNeed, "not_need": RewindNotNeed, "success": RewindSuccess, "failed": RewindFailed}

func (m scMemory) build(v *cluster.View, ssn string) Memory {
	out := Memory{LockRenewedAt: offset(m.LockRenewed), Recovering: m.Recovering, Bootstrapping: m.Bootstrapping,
		CrashRecoveryStarted: offset(m.CrashRecoveryStarted), ReleasedLeaderKeyAt: offset(m.ReleasedLeaderKey),
		Rewind: rewindStates[m.Rewind], WasPaused: m.WasPaused, SyncReady: m.SyncReady,
		SyncPrimaryFlushLSN: m.SyncFlushLSN, SyncLastSSN: ssn, StartTimeout: time.Duration(m.StartTimeout) * time.Second}
	out.LastFailsafe = v.Failsafe
	if m.SyncLastSSN != nil {
		out.SyncLastSSN = *m.SyncLastSSN
	}
	if !v.IsUnlocked() {
		out.OldView = v
	}
	return out
}

func (p scPeer) build() PeerStatus {
	st := PeerStatus{Reachable: !p.Unreachable, InRecovery: !p.Primary, WALPosition: p.WAL, Timeline: p.Timeline,
		NoFailover: p.NoFailover, Priority: 1, WatchdogFailed: p.WatchdogFailed}
	if st.Timeline == 0 {
		st.Timeline = 1
	}
	if p.Priority != nil {
		st.Priority = *p.Priority
	}
	if p.NoFailover {
		st.Priority = 0
	}
	return st
}

// runScenario drives one cycle through all its phases with scripted gate results and
// returns the transcript.
func runScenario(t testing.TB, sc scenario) string {
	view := sc.View.build()
	in := Input{View: view, Local: sc.Local.build(view), Settings: sc.Settings.build(), Now: scenarioNow}
	if sc.ViewError {
		in.View, in.ViewErr = nil, true
	}
	ex := &scriptedExecutor{sc: sc, view: cloneView(view), used: map[string]int{}, me: sc.Local.Name}
	var b strings.Builder
	for phase := 0; ; phase++ {
		if phase > 40 {
			t.Fatalf("%s: more than 40 phases", sc.Name)
		}
		p := Decide(in)
		for _, a := range p.Actions {
			fmt.Fprintf(&b, "%s\n", a)
			ex.apply(a)
		}
		if !sc.NoLogs {
			for _, l := range p.Logs {
				fmt.Fprintf(&b, "log %s %s\n", l.Level, firstLine(l.Msg))
			}
		}
		if p.Gate == nil {
			fmt.Fprintf(&b, "message: %s\n", p.Message)
			if !p.TouchMember {
				b.WriteString("no touch_member\n")
			}
			return b.String()
		}
		r, label := ex.gate(p.Gate)
		fmt.Fprintf(&b, "%s -> %s\n", p.Gate, label)
		in.Results = append(in.Results, r)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func loadScenarios(t *testing.T, path string) ([]scenario, *yaml.Node) {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var scs []scenario
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&scs); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return scs, &doc
}

func TestScenarios(t *testing.T) {
	files, _ := filepath.Glob("testdata/scenarios/*.yaml")
	if len(files) == 0 {
		t.Fatal("no scenario files")
	}
	total := 0
	for _, f := range files {
		scs, doc := loadScenarios(t, f)
		got := make([]string, len(scs))
		for i, sc := range scs {
			total++
			got[i] = runScenario(t, sc)
			if !*update && got[i] != sc.Expect {
				t.Errorf("%s: %q:\n--- got\n%s--- want\n%s", filepath.Base(f), sc.Name, got[i], sc.Expect)
			}
		}
		if *update {
			rewriteExpect(t, f, doc, got)
		}
	}
	t.Logf("%d scenarios", total)
}

func rewriteExpect(t *testing.T, path string, doc *yaml.Node, got []string) {
	seq := doc.Content[0]
	for i, item := range seq.Content {
		found := false
		for j := 0; j+1 < len(item.Content); j += 2 {
			if item.Content[j].Value == "expect" {
				item.Content[j+1].Value, item.Content[j+1].Style = got[i], yaml.LiteralStyle
				found = true
			}
		}
		if !found {
			item.Content = append(item.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Value: "expect"},
				&yaml.Node{Kind: yaml.ScalarNode, Value: got[i], Style: yaml.LiteralStyle})
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
