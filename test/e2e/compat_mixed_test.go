package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/devcluster"
)

// TestCompatMixedCluster moves a running Patroni 3.0.2 cluster to our daemon one node at
// a time, as DESIGN.md promises: a replica is restarted under our binary on its data
// directory, follows the real leader, takes over by switchover, is followed by the real
// nodes, and hands the leadership back.
func TestCompatMixedCluster(t *testing.T) {
	requireExecutables(t, systemPython, debianPatroni, debianPatronictl, pg15BinDir+"/postgres")
	_, dcs := etcdDCS(t)
	c := startRealPatroni(t, 3, dcs)
	leader := c.compatLeader(90 * time.Second)
	c.replicasRunning(leader, 90*time.Second)

	ours := compatOther(c, leader)
	t.Run("replace a replica", func(t *testing.T) {
		ours.Stop(30 * time.Second)
		ours.PatroniBin = filepath.Join(binDir, "patroni")
		if err := ours.Start(); err != nil {
			t.Fatal(err)
		}
		c.replicasRunning(leader, 60*time.Second)
		if v := patroniVersion(ours); v == "" || v == "3.0.2" {
			t.Fatalf("%s should now run our daemon, GET /patroni says version %q", ours.Name, v)
		}
		execSQL(t, leader, "CREATE TABLE mixed(id int primary key)")
		execSQL(t, leader, "INSERT INTO mixed VALUES (1)")
		waitRows(t, c, 1)
	})

	t.Run("our node becomes the leader", func(t *testing.T) {
		out := c.mustCtl("switchover", "--leader", leader.Name, "--candidate", ours.Name, "--force")
		if strings.Contains(out, "falling back to DCS") || strings.Contains(out, "failed, details") {
			t.Fatalf("switchover did not go through the REST API:\n%s", out)
		}
		waitFor(t, 60*time.Second, ours.Name+" to be primary", becomesPrimary(ours))
		c.replicasRunning(ours, 60*time.Second)
		execSQL(t, ours, "INSERT INTO mixed VALUES (2)")
		waitRows(t, c, 2)
		waitFor(t, 30*time.Second, "Debian patronictl list with our node as leader", func() (bool, string) {
			out, err := c.realCtl("list")
			return err == nil && listShows(c, out, ours) == "", fmt.Sprintf("%v %s\n%s", err, listShows(c, out, ours), out)
		})
	})

	t.Run("a real node takes it back", func(t *testing.T) {
		out := c.mustRealCtl("switchover", "--leader", ours.Name, "--candidate", leader.Name, "--force")
		if strings.Contains(out, "falling back to DCS") || strings.Contains(out, "failed, details") {
			t.Fatalf("switchover did not go through the REST API:\n%s", out)
		}
		waitFor(t, 60*time.Second, leader.Name+" to be primary", becomesPrimary(leader))
		c.replicasRunning(leader, 60*time.Second)
		execSQL(t, leader, "INSERT INTO mixed VALUES (3)")
		waitRows(t, c, 3)
	})
}

// waitRows waits until every node's table mixed has n rows.
func waitRows(t *testing.T, c *testCluster, n int64) {
	t.Helper()
	for _, node := range c.Nodes {
		waitFor(t, 30*time.Second, node.Name+" to see the rows", func() (bool, string) {
			v, err := queryInt(node, "SELECT count(*) FROM mixed")
			return err == nil && v == n, fmt.Sprint(v, err)
		})
	}
}

// patroniVersion is patroni.version from the node's GET /patroni.
func patroniVersion(n *devcluster.Node) string {
	p, _ := status(n)["patroni"].(map[string]any)
	v, _ := p["version"].(string)
	return v
}
