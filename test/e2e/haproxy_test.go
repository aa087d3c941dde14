package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/patroni-go/patroni/internal/devcluster"
	"github.com/patroni-go/patroni/internal/testenv"
)

// TestHAProxy routes clients through HAProxy configured as Patroni's documentation
// configures it: health checks on OPTIONS /primary and /replica pick the backends.
func TestHAProxy(t *testing.T) {
	requireExecutables(t, haproxyBin)
	_, dcs := etcdDCS(t)
	c := startCluster(t, clusterOpts{dcs: dcs})
	leader := c.leader(90 * time.Second)
	c.replicasStreaming(leader, 90*time.Second)
	hp := startHAProxy(t, c.Nodes)

	waitFor(t, 20*time.Second, "the primary port to reach "+leader.Name, routesTo(hp.primary, false, leader.PGPort))
	waitFor(t, 20*time.Second, "the replica port to reach a replica", routesTo(hp.replicas, true, replicaPorts(c, leader)...))

	candidate := compatOther(c, leader)
	start := time.Now()
	c.mustCtl("switchover", "--leader", leader.Name, "--candidate", candidate.Name, "--force")
	waitFor(t, 20*time.Second, "the primary port to follow the switchover to "+candidate.Name,
		routesTo(hp.primary, false, candidate.PGPort))
	t.Logf("primary port reached the new leader %s after the switchover started", time.Since(start).Round(100*time.Millisecond))
	c.replicasStreaming(candidate, 60*time.Second)
	waitFor(t, 20*time.Second, "the replica port to reach a replica", routesTo(hp.replicas, true, replicaPorts(c, candidate)...))
}

// haproxy is a running HAProxy with the two frontends of Patroni's documentation.
type haproxy struct {
	primary, replicas int // loopback ports
}

// haproxyConfig follows Patroni's haproxy.cfg example: TCP mode, health checks on the
// REST API, sessions to a server cut when it is marked down.
func haproxyConfig(nodes []*devcluster.Node, primaryPort, replicaPort int) string {
	var b strings.Builder
	b.WriteString(`global
    maxconn 100

defaults
    mode tcp
    retries 2
    timeout client 30m
    timeout connect 4s
    timeout server 30m
    timeout check 5s
`)
	for _, l := range []struct {
		name, check string
		port        int
	}{{"primary", "/primary", primaryPort}, {"replicas", "/replica", replicaPort}} {
		fmt.Fprintf(&b, "\nlisten %s\n    bind 127.0.0.1:%d\n", l.name, l.port)
		if l.name == "replicas" {
			b.WriteString("    balance roundrobin\n")
		}
		fmt.Fprintf(&b, "    option httpchk OPTIONS %s\n    http-check expect status 200\n", l.check)
		b.WriteString("    default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions\n")
		for _, n := range nodes {
			fmt.Fprintf(&b, "    server %s 127.0.0.1:%d maxconn 100 check port %d\n", n.Name, n.PGPort, n.APIPort)
		}
	}
	return b.String()
}

// startHAProxy runs haproxy in the foreground as our child; the cleanup stops it by pid.
func startHAProxy(t *testing.T, nodes []*devcluster.Node) *haproxy {
	t.Helper()
	dir := t.TempDir()
	hp := &haproxy{primary: testenv.FreePort(t), replicas: testenv.FreePort(t)}
	for hp.replicas == hp.primary {
		hp.replicas = testenv.FreePort(t)
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(haproxyConfig(nodes, hp.primary, hp.replicas)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(haproxyBin, "-c", "-f", cfg).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c rejects the configuration: %v\n%s", err, out)
	}
	logPath := filepath.Join(dir, "haproxy.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(haproxyBin, "-db", "-f", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start haproxy: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("--- haproxy log:\n%s", b)
		}
	})
	return hp
}

// replicaPorts lists the PostgreSQL ports of every node but leader.
func replicaPorts(c *testCluster, leader *devcluster.Node) []int {
	var ports []int
	for _, n := range c.Nodes {
		if n != leader {
			ports = append(ports, n.PGPort)
		}
	}
	return ports
}

// routesTo is a waitFor condition: several new connections in a row through the HAProxy
// port land on servers in the wanted recovery state listening on one of ports. One is
// not enough: until a server fails two checks HAProxy still balances onto it.
func routesTo(proxyPort int, inRecovery bool, ports ...int) func() (bool, string) {
	return func() (bool, string) {
		for range 2*len(ports) + 2 {
			rec, port, err := whereAmI(proxyPort)
			if err != nil {
				return false, err.Error()
			}
			if rec != inRecovery || !slices.Contains(ports, port) {
				return false, fmt.Sprintf("reached port %d (in recovery %v), want one of %v in recovery %v", port, rec, ports, inRecovery)
			}
		}
		return true, ""
	}
}

// whereAmI connects through a proxy port and asks the server who it is.
func whereAmI(proxyPort int) (inRecovery bool, port int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	dsn := fmt.Sprintf("host=127.0.0.1 port=%d user=%s password=%s dbname=postgres connect_timeout=3 sslmode=disable",
		proxyPort, devcluster.SuperUser, devcluster.SuperPassword)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return false, 0, err
	}
	defer conn.Close(ctx)
	err = conn.QueryRow(ctx, "SELECT pg_catalog.pg_is_in_recovery(), pg_catalog.inet_server_port()").Scan(&inRecovery, &port)
	return inRecovery, port, err
}
