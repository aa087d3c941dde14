package etcd3_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs"
	"github.com/patroni-go/patroni/internal/dcs/etcd3"
	"github.com/patroni-go/patroni/internal/testenv"
)

const (
	patroniBin    = "/usr/bin/patroni"
	patronictlBin = "/usr/bin/patronictl"
	// Debian's modules are only on the system interpreter (FACTS.md).
	systemPython = "/usr/bin/python3"
	pgBinDir     = "/usr/lib/postgresql/15/bin"
)

// TestPatroniInterop runs Debian's real Patroni (3.0.2) against etcd and checks both
// directions: we read what Patroni writes, Patroni reads what we write.
func TestPatroniInterop(t *testing.T) {
	if _, err := os.Stat(patroniBin); err != nil {
		testenv.Unavailable(t, "real Patroni is not installed (%s)", patroniBin)
	}
	if os.Geteuid() == 0 {
		testenv.Unavailable(t, "this test runs PostgreSQL through Patroni, which refuses root; "+
			"run it as the test user: scripts/as-test-user.sh go test ./internal/dcs/etcd3/")
	}
	e := testenv.StartEtcd(t)
	p := startPatroni(t, e.Addr())
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Second)
	defer cancel()

	st := openInterop(t, e.Addr(), "")
	v := waitForPatroniLeader(t, ctx, st, p)
	checkPatroniView(t, v, p)

	checkPatroniReadsConfig(t, ctx, st, v, p)
	checkPatroniReadsHistory(t, ctx, st, p)
	checkPatronictlListsFakeMember(t, ctx, e.Addr(), p)

	if v, err := st.Load(ctx); err != nil || v.LeaderName() != "pg0" {
		t.Fatalf("after our writes Patroni should still hold the lock: leader %q, %v", v.LeaderName(), err)
	}
}

// openInterop opens a store in Patroni's scope; name "" is patronictl's view.
func openInterop(t *testing.T, addr, name string) *etcd3.Store {
	s, err := etcd3.New(etcd3.Config{Host: addr, Linearizable: true},
		dcs.Identity{Namespace: "/service/", Scope: "interop", Name: name}, fast, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

type patroni struct {
	dir, cfg        string
	apiPort, pgPort int
	cmd             *exec.Cmd
	done            chan struct{}
	log             string
}

func startPatroni(t *testing.T, etcdAddr string) *patroni {
	dir, err := os.MkdirTemp("", "pi") // short: the socket path must stay < 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	p := &patroni{dir: dir, cfg: filepath.Join(dir, "patroni.yml"), log: filepath.Join(dir, "patroni.log"),
		apiPort: testenv.FreePort(t), pgPort: testenv.FreePort(t)}
	if err := os.WriteFile(p.cfg, []byte(p.config(etcdAddr)), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	p.cmd = exec.Command(systemPython, patroniBin, p.cfg)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start patroni: %v", err)
	}
	p.done = make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

func (p *patroni) config(etcdAddr string) string {
	return fmt.Sprintf(`scope: interop
namespace: /service/
name: pg0
restapi:
  listen: 127.0.0.1:%[1]d
  connect_address: 127.0.0.1:%[1]d
etcd3:
  hosts: %[2]s
bootstrap:
  dcs:
    ttl: 20
    loop_wait: 2
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: false
  initdb:
  - encoding: UTF8
postgresql:
  listen: 127.0.0.1:%[3]d
  connect_address: 127.0.0.1:%[3]d
  data_dir: %[4]s/data
  bin_dir: %[5]s
  pgpass: %[4]s/pgpass
  authentication:
    superuser: {username: postgres, password: secret}
    replication: {username: replicator, password: secret}
  parameters:
    unix_socket_directories: %[4]s
    shared_buffers: 16MB
    max_connections: 20
`, p.apiPort, etcdAddr, p.pgPort, p.dir, pgBinDir)
}

// stop ends Patroni (SIGTERM: it stops PostgreSQL and releases the lock), then makes sure
// its postmaster is gone too, killing both by PID when they do not exit in time.
func (p *patroni) stop(t *testing.T) {
	if t.Failed() {
		if b, err := os.ReadFile(p.log); err == nil {
			t.Logf("patroni log:\n%s", tail(b, 4000))
		}
	}
	pgPid := p.postmasterPID()
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	if pgPid > 0 && syscall.Kill(pgPid, 0) == nil && !isZombie(pgPid) {
		_ = syscall.Kill(pgPid, syscall.SIGQUIT)
		deadline := time.Now().Add(10 * time.Second)
		for syscall.Kill(pgPid, 0) == nil && !isZombie(pgPid) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		_ = syscall.Kill(pgPid, syscall.SIGKILL)
	}
}

func (p *patroni) postmasterPID() int {
	b, err := os.ReadFile(filepath.Join(p.dir, "data", "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	return pid
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] == 'Z'
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// waitForPatroniLeader waits until Patroni has bootstrapped: it holds the lock, its
// member key reports a running primary with a WAL position, and initialize has the sysid.
func waitForPatroniLeader(t *testing.T, ctx context.Context, st dcs.Store, p *patroni) *cluster.View {
	var last *cluster.View
	for {
		v, err := st.Load(ctx)
		if err == nil {
			last = v
			if m := v.Member("pg0"); v.LeaderName() == "pg0" && m != nil && m.IsRunning() &&
				m.XLogLocation != nil && v.Initialize != nil && cluster.IsValidSysid(*v.Initialize) {
				return v
			}
		}
		select {
		case <-p.done:
			t.Fatal("patroni exited before it bootstrapped")
		case <-ctx.Done():
			t.Fatalf("patroni did not bootstrap in time; last view: %+v (err %v)", last, err)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func checkPatroniView(t *testing.T, v *cluster.View, p *patroni) {
	m := v.Leader.Member
	if m == nil {
		t.Fatal("the leader has no member key")
	}
	wantConn := fmt.Sprintf("postgres://127.0.0.1:%d/postgres", p.pgPort)
	wantAPI := fmt.Sprintf("http://127.0.0.1:%d/patroni", p.apiPort)
	if !m.Role.IsPrimary() || m.ConnURL != wantConn || m.APIURL != wantAPI || m.Timeline == nil || *m.Timeline != 1 {
		t.Fatalf("Patroni's member key as we read it: %+v", m.MemberData)
	}
	if v.Leader.Session == "" || v.Leader.Session != m.Session {
		t.Fatalf("leader session %q, member session %q: Patroni binds both to one lease", v.Leader.Session, m.Session)
	}
	if v.Config == nil || !v.Config.IsValid() || fmt.Sprint(v.Config.Data["loop_wait"]) != "2" {
		t.Fatalf("Patroni's config as we read it: %+v", v.Config)
	}
	t.Logf("Patroni %s wrote: leader %s (session %s), role %s, xlog_location %d, sysid %s, config %s",
		m.MemberData.Version, v.Leader.Name, v.Leader.Session, m.Role, *m.XLogLocation, *v.Initialize, v.Config.Raw)
}

// checkPatroniReadsConfig: a CAS write of the config key shows up in Patroni's GET /config.
func checkPatroniReadsConfig(t *testing.T, ctx context.Context, st dcs.Store, v *cluster.View, p *patroni) {
	data := map[string]any{}
	for k, val := range v.Config.Data {
		data[k] = val
	}
	data["maximum_lag_on_failover"] = 2097152
	raw, _ := json.Marshal(data)
	if ok, err := st.SetConfig(ctx, raw, v.Config.Version+1000); ok || err != nil {
		t.Fatalf("SetConfig with a wrong version = %v, %v", ok, err)
	}
	if ok, err := st.SetConfig(ctx, raw, v.Config.Version); !ok || err != nil {
		t.Fatalf("SetConfig = %v, %v", ok, err)
	}
	pollREST(t, ctx, p, "/config", func(body []byte) bool {
		var got struct {
			MaxLag int64 `json:"maximum_lag_on_failover"`
		}
		return json.Unmarshal(body, &got) == nil && got.MaxLag == 2097152
	})
}

// checkPatroniReadsHistory: a history we write is what Patroni's GET /history returns.
func checkPatroniReadsHistory(t *testing.T, ctx context.Context, st dcs.Store, p *patroni) {
	h := cluster.History{Lines: []cluster.HistoryLine{
		cluster.NewHistoryLine(1, 25623960, "no recovery target specified", "2019-09-23T16:57:57+02:00", "pg0"),
	}}
	if err := st.SetHistory(ctx, h); err != nil {
		t.Fatal(err)
	}
	want, _ := h.Encode()
	pollREST(t, ctx, p, "/history", func(body []byte) bool {
		var a, b any
		return json.Unmarshal(body, &a) == nil && json.Unmarshal(want, &b) == nil && reflect.DeepEqual(a, b)
	})
}

func pollREST(t *testing.T, ctx context.Context, p *patroni, path string, ok func([]byte) bool) {
	url := fmt.Sprintf("http://127.0.0.1:%d%s", p.apiPort, path)
	var last []byte
	for {
		if resp, err := http.Get(url); err == nil {
			last, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && ok(last) {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("GET %s never showed our write; last body: %s", path, last)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// checkPatronictlListsFakeMember: a member key we write appears in `patronictl list`.
func checkPatronictlListsFakeMember(t *testing.T, ctx context.Context, etcdAddr string, p *patroni) {
	fake := openInterop(t, etcdAddr, "gofake1")
	lsn, tl := int64(50331968), int64(1)
	data := cluster.MemberData{ConnURL: "postgres://127.0.0.1:1/postgres", APIURL: "http://127.0.0.1:1/patroni",
		State: "running", Role: cluster.RoleReplica, Version: "3.0.2", XLogLocation: &lsn, Timeline: &tl}
	if ok, err := fake.TouchMember(ctx, data); !ok || err != nil {
		t.Fatalf("TouchMember = %v, %v", ok, err)
	}
	cmd := exec.CommandContext(ctx, systemPython, patronictlBin, "-c", p.cfg, "list")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("patronictl list: %v", err)
		}
		t.Fatalf("patronictl list: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "gofake1") || !strings.Contains(out.String(), "pg0") {
		t.Fatalf("patronictl list does not show our member:\n%s", out.String())
	}
	t.Logf("patronictl list:\n%s", out.String())
}
