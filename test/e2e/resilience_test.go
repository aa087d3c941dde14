package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/patroni-go/patroni/internal/devcluster"
)

// syncKey reads the sync key through a node's GET /cluster ... via patronictl is
// overkill; the REST API's /sync endpoint and the member roles tell the same.
func syncStandbys(c *testCluster) []string {
	var out []string
	for _, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		_, body := n.Get(context.Background(), "/cluster")
		var doc struct {
			Members []struct {
				Name string `json:"name"`
				Role string `json:"role"`
			} `json:"members"`
		}
		if json.Unmarshal([]byte(body), &doc) == nil && len(doc.Members) > 0 {
			for _, m := range doc.Members {
				if m.Role == "sync_standby" {
					out = append(out, m.Name)
				}
			}
			return out
		}
	}
	return out
}

// TestSynchronousMode: the sync key follows members going away and coming back, and a
// failover never loses a commit that was acknowledged.
func TestSynchronousMode(t *testing.T) {
	_, dcs := etcdDCS(t)
	c := startCluster(t, clusterOpts{dcs: dcs, customize: func(i int, cfg map[string]any) {
		d := cfg["bootstrap"].(map[string]any)["dcs"].(map[string]any)
		d["synchronous_mode"] = true
	}})
	primary := c.leader(90 * time.Second)
	c.replicasStreaming(primary, 90*time.Second)
	var sync string
	waitFor(t, 60*time.Second, "a synchronous standby", func() (bool, string) {
		s := syncStandbys(c)
		if len(s) == 1 {
			sync = s[0]
		}
		return len(s) == 1, fmt.Sprint(s)
	})
	standby := c.Node(sync)

	step(t, "sync key follows members", func(t *testing.T) {
		standby.Stop(30 * time.Second)
		waitFor(t, 60*time.Second, "another synchronous standby", func() (bool, string) {
			s := syncStandbys(c)
			return len(s) == 1 && s[0] != sync, fmt.Sprint(s)
		})
		if err := standby.Start(); err != nil {
			t.Fatal(err)
		}
		c.replicasStreaming(primary, 90*time.Second)
		sync = syncStandbys(c)[0]
		standby = c.Node(sync)
	})

	step(t, "failover keeps acknowledged commits", func(t *testing.T) {
		execSQL(t, primary, "CREATE TABLE acked(id int primary key)")
		var acked atomic.Int64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			writeUntil(primary, stop, &acked)
		}()
		time.Sleep(2 * time.Second)
		primary.Kill()
		close(stop)
		<-done
		next := c.leader(90 * time.Second)
		if next == primary {
			t.Fatal("the killed node is still primary")
		}
		n := acked.Load()
		if n == 0 {
			t.Fatal("no write was acknowledged before the kill")
		}
		got, err := queryInt(next, "SELECT count(*) FROM acked")
		if err != nil {
			t.Fatal(err)
		}
		max, _ := queryInt(next, "SELECT coalesce(max(id),0) FROM acked")
		if max < n {
			t.Errorf("acknowledged up to id %d, new primary %s has max id %d (%d rows): acknowledged commits were lost", n, next.Name, max, got)
		}
		if err := primary.Start(); err != nil {
			t.Fatal(err)
		}
		c.replicasStreaming(next, 120*time.Second)
	})
}

// writeUntil inserts increasing ids until stop, recording the last acknowledged one.
func writeUntil(n *devcluster.Node, stop <-chan struct{}, acked *atomic.Int64) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, n.DSN())
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	for id := int64(1); ; id++ {
		select {
		case <-stop:
			return
		default:
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := conn.Exec(cctx, "INSERT INTO acked VALUES ($1)", id)
		cancel()
		if err != nil {
			return
		}
		acked.Store(id)
	}
}

// TestDCSOutage: without failsafe the primary demotes once it cannot renew its lock;
// with failsafe_mode it keeps running while all members can talk to each other.
func TestDCSOutage(t *testing.T) {
	for _, failsafe := range []bool{false, true} {
		t.Run(fmt.Sprintf("failsafe=%v", failsafe), func(t *testing.T) {
			etcd, dcs := etcdDCS(t)
			c := startCluster(t, clusterOpts{dcs: dcs, customize: func(i int, cfg map[string]any) {
				d := cfg["bootstrap"].(map[string]any)["dcs"].(map[string]any)
				d["failsafe_mode"] = failsafe
			}})
			primary := c.leader(90 * time.Second)
			c.replicasStreaming(primary, 90*time.Second)
			time.Sleep(3 * time.Second) // let the leader publish /failsafe
			etcd.Stop()
			if failsafe {
				time.Sleep(30 * time.Second) // longer than ttl
				if ok, why := isPrimary(primary)(); !ok {
					t.Fatalf("with failsafe_mode the primary must keep running: %s", why)
				}
				execSQL(t, primary, "CREATE TABLE during_outage(id int)")
			} else {
				waitFor(t, 60*time.Second, "the primary to demote", func() (bool, string) {
					v, err := queryInt(primary, "SELECT pg_is_in_recovery()::int")
					return err == nil && v == 1, fmt.Sprint(v, err)
				})
			}
			etcd.Restart(t)
			next := c.leader(90 * time.Second)
			c.replicasStreaming(next, 120*time.Second)
			if out := c.mustCtl("list"); !strings.Contains(out, "Leader") {
				t.Errorf("cluster did not recover:\n%s", out)
			}
		})
	}
}

// TestFailoverPriority: nofailover members never take over, and a higher
// failover_priority wins among equally advanced replicas.
func TestFailoverPriority(t *testing.T) {
	_, dcs := etcdDCS(t)
	c := startCluster(t, clusterOpts{nodes: 4, dcs: dcs, customize: func(i int, cfg map[string]any) {
		tags := cfg["tags"].(map[string]any)
		switch i {
		case 2:
			tags["failover_priority"] = 1
		case 3:
			tags["failover_priority"] = 2
		case 4:
			tags["nofailover"] = true
		}
	}})
	// Make node1 the primary so that the tags of node2 and node3 decide.
	primary := c.leader(90 * time.Second)
	c.replicasStreaming(primary, 90*time.Second)
	node1 := c.Node("node1")
	if primary != node1 {
		c.mustCtl("switchover", "--leader", primary.Name, "--candidate", "node1", "--force")
		waitFor(t, 60*time.Second, "node1 to be primary", isPrimary(node1))
		c.replicasStreaming(node1, 90*time.Second)
	}
	step(t, "switchover to a nofailover member is refused", func(t *testing.T) {
		out, err := c.ctl("switchover", "--leader", "node1", "--candidate", "node4", "--force")
		if err == nil {
			t.Errorf("switchover to nofailover node4 must fail:\n%s", out)
		}
	})
	step(t, "failover picks the higher priority", func(t *testing.T) {
		execSQL(t, node1, "CREATE TABLE prio(id int)")
		time.Sleep(2 * time.Second) // replicas catch up: equal WAL positions
		node1.Kill()
		next := c.leader(90 * time.Second)
		if next.Name != "node3" {
			t.Errorf("node3 (failover_priority 2) should win over node2 (priority 1) and node4 (nofailover); got %s", next.Name)
		}
		if err := node1.Start(); err != nil {
			t.Fatal(err)
		}
		c.replicasStreaming(next, 120*time.Second)
	})
}
