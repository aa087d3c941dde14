package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/devcluster"
)

// callbackScript records every callback invocation ("action role scope") in a file.
func callbackScript(t *testing.T, dir string) (script, logFile string) {
	logFile = filepath.Join(dir, "callbacks.log")
	script = filepath.Join(dir, "callback.sh")
	body := "#!/bin/sh\necho \"$@\" >> " + logFile + "\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, logFile
}

// TestEtcdCluster walks one 3-node cluster through the operations users rely on, in the
// order a user would meet them. Each step leaves the cluster healthy for the next.
func TestEtcdCluster(t *testing.T) {
	_, dcs := etcdDCS(t)
	cbDir := t.TempDir()
	if err := os.Chmod(cbDir, 0o755); err != nil {
		t.Fatal(err)
	}
	script, cbLog := callbackScript(t, cbDir)
	c := startCluster(t, clusterOpts{dcs: dcs, customize: func(i int, cfg map[string]any) {
		pg := cfg["postgresql"].(map[string]any)
		pg["callbacks"] = map[string]any{"on_start": script, "on_stop": script, "on_role_change": script, "on_restart": script}
	}})

	primary := c.leader(90 * time.Second)
	c.replicasStreaming(primary, 90*time.Second)

	step(t, "replication", func(t *testing.T) {
		execSQL(t, primary, "CREATE TABLE e2e(id int primary key, note text)")
		execSQL(t, primary, "INSERT INTO e2e VALUES (1, 'bootstrap')")
		for _, n := range c.Nodes {
			waitFor(t, 30*time.Second, n.Name+" sees the row", func() (bool, string) {
				v, err := queryInt(n, "SELECT count(*) FROM e2e")
				return err == nil && v == 1, fmt.Sprint(v, err)
			})
		}
		waitFor(t, 30*time.Second, "patronictl list to show a leader and two streaming replicas", func() (bool, string) {
			out := c.mustCtl("list")
			for _, n := range c.Nodes {
				if !strings.Contains(out, n.Name) {
					return false, out
				}
			}
			return strings.Contains(out, "Leader") && strings.Count(out, "streaming") == 2, out
		})
	})

	step(t, "callbacks", func(t *testing.T) {
		waitFor(t, 20*time.Second, "on_start callbacks", func() (bool, string) {
			b, _ := os.ReadFile(cbLog)
			s := string(b)
			return strings.Contains(s, "on_start primary batman") && strings.Count(s, "on_start replica batman") >= 2, s
		})
	})

	step(t, "switchover with patronictl", func(t *testing.T) {
		candidate := otherThan(c, primary)
		c.mustCtl("switchover", "--leader", primary.Name, "--candidate", candidate.Name, "--force")
		waitFor(t, 60*time.Second, candidate.Name+" to be primary", isPrimary(candidate))
		c.replicasStreaming(candidate, 60*time.Second)
		waitFor(t, 20*time.Second, "on_role_change callbacks", func() (bool, string) {
			b, _ := os.ReadFile(cbLog)
			return strings.Contains(string(b), "on_role_change primary batman"), string(b)
		})
		primary = candidate
	})

	step(t, "switchover through the REST API", func(t *testing.T) {
		candidate := otherThan(c, primary)
		body := fmt.Sprintf(`{"leader":%q,"candidate":%q}`, primary.Name, candidate.Name)
		code, resp := primary.Do(context.Background(), "POST", "/switchover", body)
		if code != 200 {
			t.Fatalf("POST /switchover: %d %s", code, resp)
		}
		waitFor(t, 60*time.Second, candidate.Name+" to be primary", isPrimary(candidate))
		c.replicasStreaming(candidate, 60*time.Second)
		primary = candidate
	})

	step(t, "scheduled switchover", func(t *testing.T) {
		at := time.Now().Add(4 * time.Second).UTC().Format("2006-01-02T15:04:05+00:00")
		body := fmt.Sprintf(`{"leader":%q,"scheduled_at":%q}`, primary.Name, at)
		code, resp := primary.Do(context.Background(), "POST", "/switchover", body)
		if code != 202 {
			t.Fatalf("POST /switchover scheduled: %d %s", code, resp)
		}
		if out := c.mustCtl("list"); !strings.Contains(out, "Switchover scheduled") {
			t.Errorf("patronictl list should announce the scheduled switchover:\n%s", out)
		}
		old := primary
		waitFor(t, 60*time.Second, "a new primary after the scheduled time", func() (bool, string) {
			n, err := c.Cluster.Leader(context.Background())
			return err == nil && n != old, fmt.Sprint(n, err)
		})
		primary = c.leader(30 * time.Second)
		c.replicasStreaming(primary, 60*time.Second)
	})

	step(t, "scheduled switchover with patronictl", func(t *testing.T) {
		at := time.Now().Add(4 * time.Second).UTC().Format("2006-01-02T15:04:05+00:00")
		c.mustCtl("switchover", "--leader", primary.Name, "--scheduled", at, "--force")
		old := primary
		waitFor(t, 60*time.Second, "a new primary after the scheduled time", func() (bool, string) {
			n, err := c.Cluster.Leader(context.Background())
			return err == nil && n != old, fmt.Sprint(n, err)
		})
		primary = c.leader(30 * time.Second)
		c.replicasStreaming(primary, 60*time.Second)
	})

	step(t, "failover to a named candidate", func(t *testing.T) {
		candidate := otherThan(c, primary)
		c.mustCtl("failover", "--candidate", candidate.Name, "--force")
		waitFor(t, 60*time.Second, candidate.Name+" to be primary", isPrimary(candidate))
		c.replicasStreaming(candidate, 60*time.Second)
		primary = candidate
	})

	step(t, "postgres crash restarts in place", func(t *testing.T) {
		tl := timeline(primary)
		pid := primary.PostmasterPID()
		primary.KillPostgres(syscall.SIGKILL)
		waitFor(t, 60*time.Second, "postgres restarted on "+primary.Name, func() (bool, string) {
			p := primary.PostmasterPID()
			if p == 0 || p == pid {
				return false, fmt.Sprint("postmaster pid ", p)
			}
			inRecovery, err := queryInt(primary, "SELECT pg_is_in_recovery()::int")
			return err == nil && inRecovery == 0 && primaryNow(primary), fmt.Sprint(inRecovery, err)
		})
		if got := c.leader(30 * time.Second); got != primary {
			t.Fatalf("a crash of postgres alone must not fail over: %s is primary", got.Name)
		}
		waitFor(t, 20*time.Second, "the same timeline", func() (bool, string) {
			now := timeline(primary)
			return now == tl, fmt.Sprintf("timeline %d, was %d: a changed timeline means a promotion, not a restart", now, tl)
		})
		execSQL(t, primary, "INSERT INTO e2e VALUES (2, 'after crash')")
		// Replication is asynchronous: later steps fail over, and a row that had not
		// reached the replicas yet could be lost, as Patroni allows.
		for _, n := range c.Nodes {
			waitFor(t, 30*time.Second, n.Name+" replicates the row", func() (bool, string) {
				v, err := queryInt(n, "SELECT count(*) FROM e2e")
				return err == nil && v == 2, fmt.Sprint(v, err)
			})
		}
	})

	step(t, "pause and resume", func(t *testing.T) {
		c.mustCtl("pause", "--wait")
		pid := primary.PostmasterPID()
		primary.KillPostgres(syscall.SIGKILL)
		time.Sleep(6 * time.Second) // several loop_waits: nothing may happen while paused
		if p := primary.PostmasterPID(); p != pid && p != 0 && pgAlive(p) {
			t.Errorf("postgres was restarted while paused")
		}
		for _, n := range c.Nodes {
			if n != primary && primaryNow(n) {
				t.Fatalf("%s was promoted while paused", n.Name)
			}
		}
		c.mustCtl("resume", "--wait")
		waitFor(t, 60*time.Second, "postgres back after resume", func() (bool, string) {
			return primaryNow(primary) || c.anyPrimary(), ""
		})
		primary = c.leader(60 * time.Second)
		c.replicasStreaming(primary, 60*time.Second)
	})

	step(t, "dynamic configuration and pending restart", func(t *testing.T) {
		code, resp := primary.Do(context.Background(), "PATCH", "/config", `{"postgresql":{"parameters":{"work_mem":"7MB","max_connections":101}}}`)
		if code != 200 {
			t.Fatalf("PATCH /config: %d %s", code, resp)
		}
		waitFor(t, 30*time.Second, "work_mem reloaded everywhere", func() (bool, string) {
			for _, n := range c.Nodes {
				if v := showSetting(n, "work_mem"); v != "7MB" {
					return false, n.Name + " work_mem=" + v
				}
			}
			return true, ""
		})
		waitFor(t, 30*time.Second, "pending restart everywhere", func() (bool, string) {
			for _, n := range c.Nodes {
				if st := status(n); st["pending_restart"] != true {
					return false, n.Name + " has no pending_restart"
				}
			}
			return true, ""
		})
		c.mustCtl("edit-config", "--force", "-s", "maximum_lag_on_failover=2097152")
		if out := c.mustCtl("show-config"); !strings.Contains(out, "maximum_lag_on_failover: 2097152") {
			t.Errorf("edit-config -s did not land:\n%s", out)
		}
		c.mustCtl("restart", "batman", "--pending", "--force")
		waitFor(t, 60*time.Second, "restarts done", func() (bool, string) {
			for _, n := range c.Nodes {
				if st := status(n); st["pending_restart"] == true || st["state"] != "running" {
					return false, fmt.Sprintf("%s %v %v", n.Name, st["state"], st["pending_restart"])
				}
				if v := showSetting(n, "max_connections"); v != "101" {
					return false, n.Name + " max_connections=" + v
				}
			}
			return true, ""
		})
		primary = c.leader(30 * time.Second)
	})

	step(t, "reinit a replica", func(t *testing.T) {
		replica := otherThan(c, primary)
		c.mustCtl("reinit", "batman", replica.Name, "--force", "--wait")
		c.replicasStreaming(primary, 60*time.Second)
		waitFor(t, 30*time.Second, "reinitialized replica has the data", func() (bool, string) {
			v, err := queryInt(replica, "SELECT count(*) FROM e2e")
			return err == nil && v == 2, fmt.Sprint(v, err)
		})
	})

	step(t, "duplicate member name refuses to start", func(t *testing.T) {
		n := c.Nodes[0]
		out, err := runOnce(n.ConfigPath, 20*time.Second)
		if err == nil || !strings.Contains(out, "already a node named") {
			t.Errorf("a second %s must refuse to start; err=%v output:\n%s", n.Name, err, out)
		}
	})

	step(t, "SIGTERM hands over without waiting for the ttl", func(t *testing.T) {
		old := primary
		primary = c.sigtermHandover(old)
		if old.PostmasterPID() != 0 && pgAlive(old.PostmasterPID()) {
			t.Error("postgres still runs after patroni's SIGTERM shutdown")
		}
		waitFor(t, 10*time.Second, "the on_stop callback", func() (bool, string) {
			b, _ := os.ReadFile(cbLog)
			return strings.Contains(string(b), "on_stop "), string(b)
		})
		c.rejoin(old, primary)
	})

	step(t, "node death fails over and the old primary rejoins", func(t *testing.T) {
		old := primary
		primary = c.nodeDeath(old)
		execSQL(t, primary, "INSERT INTO e2e VALUES (3, 'after node death')")
		c.rejoin(old, primary)
		waitFor(t, 30*time.Second, "old primary replicates the new timeline", func() (bool, string) {
			v, err := queryInt(old, "SELECT count(*) FROM e2e")
			return err == nil && v == 3, fmt.Sprint(v, err)
		})
	})
}

// step runs one stage of a walk; later stages build on it, so a failure ends the walk.
func step(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, f) {
		t.FailNow()
	}
}

func otherThan(c *testCluster, n *devcluster.Node) *devcluster.Node {
	for _, m := range c.Nodes {
		if m != n && m.Running() {
			return m
		}
	}
	return nil
}

func isPrimary(n *devcluster.Node) func() (bool, string) {
	return func() (bool, string) {
		code, body := n.Get(context.Background(), "/primary")
		return code == 200, fmt.Sprintf("%d %s", code, body)
	}
}

func primaryNow(n *devcluster.Node) bool { ok, _ := isPrimary(n)(); return ok }

func (c *testCluster) anyPrimary() bool {
	_, err := c.Cluster.Leader(context.Background())
	return err == nil
}

func timeline(n *devcluster.Node) int64 {
	if v, ok := status(n)["timeline"].(float64); ok {
		return int64(v)
	}
	return 0
}

func pgAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b))
	return len(fields) > 2 && fields[2] != "Z"
}

func showSetting(n *devcluster.Node, name string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgxConnect(ctx, n)
	if err != nil {
		return err.Error()
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v); err != nil {
		return err.Error()
	}
	return v
}

// runOnce runs another patroni process with a node's configuration and returns its output.
func runOnce(configPath string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := execCommand(ctx, filepath.Join(binDir, "patroni"), configPath)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
