package e2e

import (
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/devcluster"
	"github.com/patroni-go/patroni/internal/testenv"
)

// TestBackendFailover runs the failover scenarios users care most about on Consul and
// ZooKeeper (etcd gets them in TestEtcdCluster): SIGTERM hands over at once, and the
// death of the primary node fails over after the ttl.
func TestBackendFailover(t *testing.T) {
	backends := map[string]func(t *testing.T) devcluster.DCS{
		"consul": func(t *testing.T) devcluster.DCS {
			c := testenv.StartConsul(t)
			return devcluster.DCS{Kind: "consul", Endpoints: []string{c.Addr()}}
		},
		"zookeeper": func(t *testing.T) devcluster.DCS {
			z := testenv.StartZooKeeper(t)
			return devcluster.DCS{Kind: "zookeeper", Endpoints: z.Servers()}
		},
	}
	for _, name := range []string{"consul", "zookeeper"} {
		t.Run(name, func(t *testing.T) {
			c := startCluster(t, clusterOpts{dcs: backends[name](t)})
			primary := c.leader(120 * time.Second)
			c.replicasStreaming(primary, 120*time.Second)
			execSQL(t, primary, "CREATE TABLE backend(id int)")

			step(t, "switchover", func(t *testing.T) {
				candidate := otherThan(c, primary)
				c.mustCtl("switchover", "--leader", primary.Name, "--candidate", candidate.Name, "--force")
				waitFor(t, 60*time.Second, candidate.Name+" to be primary", isPrimary(candidate))
				primary = candidate
				c.replicasStreaming(primary, 90*time.Second)
			})
			step(t, "SIGTERM hands over", func(t *testing.T) {
				old := primary
				primary = c.sigtermHandover(old)
				c.rejoin(old, primary)
			})
			step(t, "node death fails over", func(t *testing.T) {
				old := primary
				primary = c.nodeDeath(old)
				execSQL(t, primary, "INSERT INTO backend VALUES (1)")
				c.rejoin(old, primary)
			})
		})
	}
}
