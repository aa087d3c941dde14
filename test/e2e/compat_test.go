package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/patroni-go/patroni/internal/devcluster"
	"github.com/patroni-go/patroni/internal/testenv"
)

// TestCompatRealPatronictl drives a cluster of our nodes with Debian's patronictl
// (Patroni 3.0.2), as an operator who upgraded the daemons but not their tooling would.
func TestCompatRealPatronictl(t *testing.T) {
	requireExecutables(t, systemPython, debianPatronictl)
	etcd, dcs := etcdDCS(t)
	c := startCluster(t, clusterOpts{dcs: dcs})
	primary := c.leader(90 * time.Second)
	c.replicasStreaming(primary, 90*time.Second)

	t.Run("list", func(t *testing.T) {
		// Replicas publish their state in the member key every loop; wait for it.
		waitFor(t, 30*time.Second, "list with a leader and streaming replicas", func() (bool, string) {
			out, err := c.realCtl("list")
			return err == nil && listShows(c, out, primary) == "", fmt.Sprintf("%v %s\n%s", err, listShows(c, out, primary), out)
		})
	})

	t.Run("switchover", func(t *testing.T) {
		candidate := compatOther(c, primary)
		out := c.mustRealCtl("switchover", "--leader", primary.Name, "--candidate", candidate.Name, "--force")
		// patronictl falls back to writing /failover itself when the REST call fails:
		// that would hide a REST incompatibility, so it counts as a failure here.
		if strings.Contains(out, "falling back to DCS") || strings.Contains(out, "failed, details") {
			t.Fatalf("switchover did not go through the REST API:\n%s", out)
		}
		waitFor(t, 60*time.Second, candidate.Name+" to be primary", becomesPrimary(candidate))
		c.replicasStreaming(candidate, 60*time.Second)
		// Patroni leaves the recovery settings a promoted standby drops out of
		// pending_restart; a '*' in list after every switchover would alarm operators.
		if st := status(candidate); st["pending_restart"] != nil {
			t.Errorf("new leader reports a pending restart: %v", st["pending_restart_reason"])
		}
		primary = candidate
	})

	t.Run("restart", func(t *testing.T) {
		for _, n := range []*devcluster.Node{compatOther(c, primary), primary} {
			before := status(n)["postmaster_start_time"]
			out := c.mustRealCtl("restart", "batman", n.Name, "--force")
			if !strings.Contains(out, "Success: restart on member "+n.Name) {
				t.Fatalf("restart %s:\n%s", n.Name, out)
			}
			waitFor(t, 60*time.Second, n.Name+" running with a new postmaster", func() (bool, string) {
				st := status(n)
				return st["state"] == "running" && st["postmaster_start_time"] != before,
					fmt.Sprintf("state %v start %v (before %v)", st["state"], st["postmaster_start_time"], before)
			})
		}
		c.replicasStreaming(primary, 60*time.Second)
	})

	t.Run("query", func(t *testing.T) {
		// 3.0.2 picks the member from the DCS and checks pg_is_in_recovery() itself.
		out := c.mustRealCtl("query", "-U", devcluster.SuperUser, "-r", "primary", "-c", "SELECT pg_catalog.inet_server_port()")
		if !strings.Contains(out, fmt.Sprint(primary.PGPort)) {
			t.Errorf("query on the primary:\n%s", out)
		}
	})

	t.Run("pause and resume", func(t *testing.T) {
		out := c.mustRealCtl("pause", "--wait")
		if !strings.Contains(out, "Success: cluster management is paused") {
			t.Fatalf("pause --wait:\n%s", out)
		}
		for _, n := range c.Nodes {
			if st := status(n); st["pause"] != true {
				t.Errorf("%s GET /patroni after pause: pause=%v", n.Name, st["pause"])
			}
		}
		if out := c.mustRealCtl("list"); !strings.Contains(out, "Maintenance mode: on") {
			t.Errorf("list should say maintenance mode is on:\n%s", out)
		}
		out = c.mustRealCtl("resume", "--wait")
		if !strings.Contains(out, "Success: cluster management is resumed") {
			t.Fatalf("resume --wait:\n%s", out)
		}
		for _, n := range c.Nodes {
			if st := status(n); st["pause"] != nil {
				t.Errorf("%s GET /patroni after resume: pause=%v", n.Name, st["pause"])
			}
		}
	})

	t.Run("edit-config", func(t *testing.T) {
		out := c.mustRealCtl("edit-config", "--force", "-s", "ttl=25", "-p", "work_mem=7MB")
		if !strings.Contains(out, "Configuration changed") {
			t.Fatalf("edit-config:\n%s", out)
		}
		// GET /config answers from the node's last view of the DCS: give it a loop.
		waitFor(t, 10*time.Second, "GET /config with the new values", configHas(primary, 25, "7MB"))
		for _, n := range c.Nodes {
			waitFor(t, 30*time.Second, n.Name+" to reload work_mem", func() (bool, string) {
				v, err := setting(n, "work_mem")
				return err == nil && v == "7MB", fmt.Sprint(v, err)
			})
		}
		waitFor(t, 30*time.Second, "the leader key's lease to have ttl 25", func() (bool, string) {
			ttl, err := leaderLeaseTTL(etcd, "/service/batman/leader")
			return err == nil && ttl == 25, fmt.Sprint(ttl, err)
		})
	})
}

// listShows checks a patronictl list table: every node present, the leader as Leader
// and running, the others as Replica and streaming (4.1) or running (3.0.2). It returns
// what is wrong, "" when all is well.
func listShows(c *testCluster, out string, leader *devcluster.Node) string {
	for _, n := range c.Nodes {
		row := listRow(out, n.Name) // Member, Host, Role, State, TL, Lag
		switch {
		case len(row) < 4:
			return "no row for " + n.Name
		case n == leader && (row[2] != "Leader" || row[3] != "running"):
			return fmt.Sprintf("leader row %v", row)
		case n != leader && (row[2] != "Replica" || (row[3] != "streaming" && row[3] != "running")):
			return fmt.Sprintf("replica row %v", row)
		}
	}
	return ""
}

// configHas is a waitFor condition: the node's GET /config has this ttl and work_mem.
func configHas(n *devcluster.Node, ttl float64, workMem string) func() (bool, string) {
	return func() (bool, string) {
		cfg, err := restConfig(n)
		if err != nil {
			return false, err.Error()
		}
		pg, _ := cfg["postgresql"].(map[string]any)
		params, _ := pg["parameters"].(map[string]any)
		return cfg["ttl"] == ttl && params["work_mem"] == workMem,
			fmt.Sprintf("ttl=%v work_mem=%v", cfg["ttl"], params["work_mem"])
	}
}

// leaderLeaseTTL returns the granted TTL of the lease attached to key.
func leaderLeaseTTL(e *testenv.Etcd, key string) (int64, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: e.Endpoints(), DialTimeout: 3 * time.Second})
	if err != nil {
		return 0, err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, key)
	if err != nil || len(resp.Kvs) == 0 {
		return 0, fmt.Errorf("get %s: %v (%d keys)", key, err, len(resp.Kvs))
	}
	lease, err := cli.TimeToLive(ctx, clientv3.LeaseID(resp.Kvs[0].Lease))
	if err != nil {
		return 0, err
	}
	return lease.GrantedTTL, nil
}

// TestCompatRealPatroniNodes drives a cluster of Debian's Patroni 3.0.2 nodes with our
// patronictl: a user may adopt our CLI before moving the daemons.
func TestCompatRealPatroniNodes(t *testing.T) {
	requireExecutables(t, systemPython, debianPatroni, pg15BinDir+"/postgres")
	_, dcs := etcdDCS(t)
	c := startRealPatroni(t, 3, dcs)
	leader := c.compatLeader(90 * time.Second)
	c.replicasRunning(leader, 90*time.Second)

	t.Run("list", func(t *testing.T) {
		waitFor(t, 30*time.Second, "list with a leader and running replicas", func() (bool, string) {
			out, err := c.ctl("list")
			return err == nil && listShows(c, out, leader) == "", fmt.Sprintf("%v %s\n%s", err, listShows(c, out, leader), out)
		})
	})

	t.Run("switchover", func(t *testing.T) {
		candidate := compatOther(c, leader)
		out := c.mustCtl("switchover", "--leader", leader.Name, "--candidate", candidate.Name, "--force")
		if strings.Contains(out, "falling back to DCS") || strings.Contains(out, "failed, details") {
			t.Fatalf("switchover did not go through the REST API:\n%s", out)
		}
		waitFor(t, 60*time.Second, candidate.Name+" to be primary", becomesPrimary(candidate))
		c.replicasRunning(candidate, 60*time.Second)
		leader = candidate
		// Patroni 3.0.2 answers GET /replica before its member key says running again.
		waitFor(t, 30*time.Second, "list with the new leader", func() (bool, string) {
			out, err := c.ctl("list")
			return err == nil && listShows(c, out, leader) == "", fmt.Sprintf("%v %s\n%s", err, listShows(c, out, leader), out)
		})
	})

	t.Run("query", func(t *testing.T) {
		// A ctl-only configuration has no postgresql section: credentials come from
		// -U and libpq's PGPASSWORD.
		cmd := exec.Command(filepath.Join(binDir, "patronictl"), "-c", c.ctlCfg, "query", "-U", devcluster.SuperUser,
			"-r", "primary", "-c", "SELECT pg_catalog.inet_server_port()")
		cmd.Env = append(os.Environ(), "PGPASSWORD="+devcluster.SuperPassword)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), fmt.Sprint(leader.PGPort)) {
			t.Errorf("query on the primary: %v\n%s", err, out)
		}
	})

	t.Run("edit-config", func(t *testing.T) {
		out := c.mustCtl("edit-config", "--force", "-s", "ttl=25", "-p", "work_mem=7MB")
		if !strings.Contains(out, "Configuration changed") {
			t.Fatalf("edit-config:\n%s", out)
		}
		waitFor(t, 10*time.Second, "GET /config with the new values", configHas(leader, 25, "7MB"))
		for _, n := range c.Nodes {
			waitFor(t, 30*time.Second, n.Name+" to reload work_mem", func() (bool, string) {
				v, err := setting(n, "work_mem")
				return err == nil && v == "7MB", fmt.Sprint(v, err)
			})
		}
	})
}
