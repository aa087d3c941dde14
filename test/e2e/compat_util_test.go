package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/devcluster"
	"github.com/patroni-go/patroni/internal/testenv"
)

// Debian's packages of the real things the compatibility tests run against.
const (
	debianPatroni    = "/usr/bin/patroni"
	debianPatronictl = "/usr/bin/patronictl"
	// systemPython has Debian's modules (python3-etcd, psycopg2, click...); the python3
	// first on PATH may be a pyenv build without them.
	systemPython = "/usr/bin/python3"
	pg15BinDir   = "/usr/lib/postgresql/15/bin"
	haproxyBin   = "/usr/sbin/haproxy"
)

// requireExecutables skips the test when one of paths is missing, or fails it under CI.
func requireExecutables(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			testenv.Unavailable(t, "%s is not installed (Debian package needed for this compatibility test)", p)
		}
	}
}

// realCtl runs Debian's patronictl (Patroni 3.0.2) with the cluster's ctl config.
func (c *testCluster) realCtl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	argv := append([]string{debianPatronictl, "-c", c.ctlCfg}, args...)
	cmd := exec.CommandContext(ctx, systemPython, argv...)
	// Its editor and pager must never wait for a terminal.
	cmd.Env = append(os.Environ(), "EDITOR=true", "PAGER=cat", "HOME="+filepath.Dir(c.ctlCfg),
		"PGPASSWORD="+devcluster.SuperPassword)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *testCluster) mustRealCtl(args ...string) string {
	c.t.Helper()
	out, err := c.realCtl(args...)
	if err != nil {
		c.t.Fatalf("Debian patronictl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// startRealPatroni starts n nodes of Debian's Patroni 3.0.2 with devcluster's
// configuration; the cleanup stops them and kills any postmaster they leave behind.
func startRealPatroni(t *testing.T, nodes int, dcs devcluster.DCS) *testCluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "e2c-")
	if err != nil {
		t.Fatal(err)
	}
	scope := "robin"
	c, err := devcluster.New(devcluster.Options{Scope: scope, Nodes: nodes, Dir: dir,
		PatroniBin: debianPatroni, BinDir: pg15BinDir, DCS: dcs,
		TTL: 20, LoopWait: 1, RetryTimeout: 3})
	if err != nil {
		t.Fatal(err)
	}
	tc := &testCluster{Cluster: c, t: t, ctlCfg: filepath.Join(dir, "ctl.yml")}
	if err := devcluster.WriteCtlConfig(tc.ctlCfg, scope, dcs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopAndReap(c)
		if t.Failed() {
			for _, n := range c.Nodes {
				t.Logf("--- end of %s log (Patroni 3.0.2):\n%s", n.Name, n.LogTail(6000))
			}
		}
		os.RemoveAll(dir)
	})
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	return tc
}

// stopAndReap stops every node, then SIGKILLs a postmaster still running in a node's
// data directory (a Patroni killed before it stopped PostgreSQL leaves one behind).
func stopAndReap(c *devcluster.Cluster) {
	c.Stop(30 * time.Second)
	for _, n := range c.Nodes {
		if pid := n.PostmasterPID(); pid > 0 && isPostmasterOf(pid, n.DataDir) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// isPostmasterOf checks /proc so that a stale postmaster.pid never makes us kill a
// stranger that reused the pid.
func isPostmasterOf(pid int, dataDir string) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return false
	}
	cmdline := strings.ReplaceAll(string(b), "\x00", " ")
	return strings.Contains(cmdline, "postgres") && strings.Contains(cmdline, dataDir)
}

// compatLeader waits until exactly one node answers GET /primary with 200; it works for
// our nodes and Patroni 3.0.2's alike.
func (c *testCluster) compatLeader(timeout time.Duration) *devcluster.Node {
	c.t.Helper()
	var found *devcluster.Node
	waitFor(c.t, timeout, "a leader", func() (bool, string) {
		found = nil
		for _, n := range c.Nodes {
			if code, _ := n.Get(context.Background(), "/primary"); code == 200 {
				if found != nil {
					return false, "two nodes answer /primary with 200"
				}
				found = n
			}
		}
		return found != nil, "no node answers /primary with 200"
	})
	return found
}

// replicasRunning waits until every node but the leader answers GET /replica with 200.
func (c *testCluster) replicasRunning(leader *devcluster.Node, timeout time.Duration) {
	c.t.Helper()
	waitFor(c.t, timeout, "replicas", func() (bool, string) {
		for _, n := range c.Nodes {
			if n == leader {
				continue
			}
			if code, body := n.Get(context.Background(), "/replica"); code != 200 {
				return false, fmt.Sprintf("%s GET /replica %d %s", n.Name, code, body)
			}
		}
		return true, ""
	})
}

// compatOther returns a node that is not n.
func compatOther(c *testCluster, n *devcluster.Node) *devcluster.Node {
	for _, m := range c.Nodes {
		if m != n {
			return m
		}
	}
	return nil
}

// becomesPrimary is a waitFor condition: n answers GET /primary with 200.
func becomesPrimary(n *devcluster.Node) func() (bool, string) {
	return func() (bool, string) {
		code, body := n.Get(context.Background(), "/primary")
		return code == 200, fmt.Sprintf("GET /primary %d %.200s", code, body)
	}
}

// restConfig fetches GET /config from a node as a map.
func restConfig(n *devcluster.Node) (map[string]any, error) {
	code, body := n.Get(context.Background(), "/config")
	if code != 200 {
		return nil, fmt.Errorf("GET /config: %d %s", code, body)
	}
	var m map[string]any
	err := json.Unmarshal([]byte(body), &m)
	return m, err
}

// setting returns SHOW name on a node.
func setting(n *devcluster.Node, name string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgxConnect(ctx, n)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var v string
	err = conn.QueryRow(ctx, "SHOW "+name).Scan(&v)
	return v, err
}

// listRow finds the patronictl list table row of a member and returns its cells.
func listRow(out, member string) []string {
	for _, line := range strings.Split(out, "\n") {
		var cells []string
		for _, f := range strings.Split(line, "|") {
			cells = append(cells, strings.TrimSpace(f))
		}
		if len(cells) > 2 && cells[1] == member {
			return cells[1 : len(cells)-1]
		}
	}
	return nil
}
