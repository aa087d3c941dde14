// Package e2e runs real patroni and patronictl binaries against real PostgreSQL and real
// DCS servers: several nodes on loopback, killed, paused and partitioned, and checked
// through SQL, the REST API and patronictl.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/patroni-go/patroni/internal/devcluster"
	"github.com/patroni-go/patroni/internal/testenv"
)

// binDir holds the patroni and patronictl binaries built once for all tests.
var binDir string

func TestMain(m *testing.M) {
	if os.Geteuid() == 0 {
		fmt.Fprintln(os.Stderr, "e2e: PostgreSQL refuses to run as root; run the tests through scripts/as-test-user.sh (make test does)")
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	build := exec.Command("go", "build", "-o", dir+"/", "../../cmd/patroni", "../../cmd/patronictl")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build failed:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testCluster is a running cluster plus the DCS it uses.
type testCluster struct {
	*devcluster.Cluster
	t      *testing.T
	ctlCfg string
}

type clusterOpts struct {
	nodes     int
	dcs       devcluster.DCS
	customize func(node int, cfg map[string]any)
}

// startCluster starts nodes against dcs and waits for a primary; on failure each node's
// log tail is printed.
func startCluster(t *testing.T, o clusterOpts) *testCluster {
	t.Helper()
	if o.nodes == 0 {
		o.nodes = 3
	}
	dir, err := os.MkdirTemp("", "e2e-")
	if err != nil {
		t.Fatal(err)
	}
	scope := "batman"
	c, err := devcluster.New(devcluster.Options{Scope: scope, Nodes: o.nodes, Dir: dir,
		PatroniBin: filepath.Join(binDir, "patroni"), DCS: o.dcs, TTL: 20, LoopWait: 1, RetryTimeout: 3,
		Customize: o.customize})
	if err != nil {
		t.Fatal(err)
	}
	tc := &testCluster{Cluster: c, t: t, ctlCfg: filepath.Join(dir, "ctl.yml")}
	if err := devcluster.WriteCtlConfig(tc.ctlCfg, scope, o.dcs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Stop(30 * time.Second)
		if t.Failed() {
			for _, n := range c.Nodes {
				t.Logf("--- end of %s log (patroni lines):\n%s", n.Name, n.PatroniLogTail(12000))
			}
		}
		os.RemoveAll(dir)
	})
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	return tc
}

func etcdDCS(t *testing.T) (*testenv.Etcd, devcluster.DCS) {
	e := testenv.StartEtcd(t)
	return e, devcluster.DCS{Kind: "etcd3", Endpoints: []string{e.Addr()}}
}

// waitFor polls cond every 250ms until it holds or timeout passes; cond explains itself.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ok, why := cond()
		if ok {
			return
		}
		last = why
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s (last: %s)", timeout, what, last)
}

// leader waits until exactly one node answers GET /primary with 200 and returns it.
func (c *testCluster) leader(timeout time.Duration) *devcluster.Node {
	c.t.Helper()
	var found *devcluster.Node
	waitFor(c.t, timeout, "a primary", func() (bool, string) {
		var primaries []string
		found = nil
		for _, n := range c.Nodes {
			if code, _ := n.Get(context.Background(), "/primary"); code == 200 {
				primaries = append(primaries, n.Name)
				found = n
			}
		}
		return len(primaries) == 1, fmt.Sprintf("primaries %v", primaries)
	})
	return found
}

// replicasStreaming waits until every node but the primary answers GET /replica with 200.
func (c *testCluster) replicasStreaming(primary *devcluster.Node, timeout time.Duration) {
	c.t.Helper()
	waitFor(c.t, timeout, "streaming replicas", func() (bool, string) {
		for _, n := range c.Nodes {
			if n == primary || !n.Running() {
				continue
			}
			if code, body := n.Get(context.Background(), "/replica?replication_state=streaming"); code != 200 {
				return false, fmt.Sprintf("%s GET /replica %d %s", n.Name, code, body)
			}
		}
		return true, ""
	})
}

// exec runs SQL on a node and fails the test on error.
func execSQL(t *testing.T, n *devcluster.Node, sql string, args ...any) {
	t.Helper()
	if err := trySQL(n, sql, args...); err != nil {
		t.Fatalf("%s: %s: %v", n.Name, sql, err)
	}
}

func trySQL(n *devcluster.Node, sql string, args ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, n.DSN())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// queryInt returns the first column of the first row as an int64.
func queryInt(n *devcluster.Node, sql string) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, n.DSN())
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var v int64
	err = conn.QueryRow(ctx, sql).Scan(&v)
	return v, err
}

// ctl runs our patronictl against the cluster and returns its combined output.
func (c *testCluster) ctl(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(binDir, "patronictl"), append([]string{"-c", c.ctlCfg}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *testCluster) mustCtl(args ...string) string {
	c.t.Helper()
	out, err := c.ctl(args...)
	if err != nil {
		c.t.Fatalf("patronictl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// status fetches a node's GET /patroni document.
func status(n *devcluster.Node) map[string]any {
	_, body := n.Get(context.Background(), "/patroni")
	var m map[string]any
	_ = json.Unmarshal([]byte(body), &m)
	return m
}

// sigtermHandover sends SIGTERM to the primary's patroni and returns the new primary. The
// lock must be released on the way out: a replica takes over well before the ttl (20 s).
func (c *testCluster) sigtermHandover(old *devcluster.Node) *devcluster.Node {
	c.t.Helper()
	if err := old.Signal(syscall.SIGTERM); err != nil {
		c.t.Fatal(err)
	}
	waitFor(c.t, 20*time.Second, "a new primary before the ttl", func() (bool, string) {
		n, err := c.Cluster.Leader(context.Background())
		return err == nil && n != old, fmt.Sprint(err)
	})
	select {
	case <-old.Exited():
	case <-time.After(30 * time.Second):
		c.t.Fatal("patroni did not exit after SIGTERM")
	}
	return c.leader(30 * time.Second)
}

// nodeDeath kills the primary's patroni and PostgreSQL together and returns the replica
// that took over once the lock expired.
func (c *testCluster) nodeDeath(old *devcluster.Node) *devcluster.Node {
	c.t.Helper()
	old.Kill()
	next := c.leader(120 * time.Second)
	if next == old {
		c.t.Fatal("the dead node is still primary")
	}
	return next
}

// rejoin starts a stopped node again and waits until it streams from primary.
func (c *testCluster) rejoin(n, primary *devcluster.Node) {
	c.t.Helper()
	if err := n.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.replicasStreaming(primary, 120*time.Second)
}
