// Package failover measures what users feel when a primary goes away: how long writes
// stop after the primary node dies, after its PostgreSQL alone is killed, and during a
// switchover. Run as a non-root user with PostgreSQL installed:
//
//	go test ./bench/failover -run XXX -bench . -benchtime 3x
//	BENCH_TTL=30 BENCH_LOOP_WAIT=10 go test ./bench/failover -run XXX -bench NodeDeath -benchtime 3x
//
// Each result is reported as seconds-until-writes-succeed (write-gap-s), measured from the
// fault to the first committed INSERT on whichever node is primary then.
package failover

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/patroni-go/patroni/internal/devcluster"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// cluster builds the binaries and starts a 3-node cluster on an embedded etcd.
func cluster(b *testing.B) *devcluster.Cluster {
	b.Helper()
	if os.Geteuid() == 0 {
		b.Skip("PostgreSQL refuses to run as root: run the benchmark as an unprivileged user")
	}
	dir, err := os.MkdirTemp("", "bf-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	build := exec.Command("go", "build", "-o", dir+"/", "../../cmd/patroni")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatal(err)
	}
	etcd, err := devcluster.StartEmbeddedEtcd(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(etcd.Close)
	c, err := devcluster.New(devcluster.Options{Scope: "bench", Nodes: 3, Dir: dir, PatroniBin: filepath.Join(dir, "patroni"),
		DCS: devcluster.DCS{Kind: "etcd3", Endpoints: []string{etcd.Endpoint}},
		TTL: envInt("BENCH_TTL", 20), LoopWait: envInt("BENCH_LOOP_WAIT", 2), RetryTimeout: envInt("BENCH_RETRY_TIMEOUT", 5)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Stop(30 * time.Second) })
	if err := c.Start(); err != nil {
		b.Fatal(err)
	}
	p := leader(b, c, 120*time.Second)
	if err := exec1(p, "CREATE TABLE IF NOT EXISTS bench(id bigserial primary key, at timestamptz default now())"); err != nil {
		b.Fatal(err)
	}
	waitStreaming(b, c)
	return c
}

func leader(b *testing.B, c *devcluster.Cluster, timeout time.Duration) *devcluster.Node {
	b.Helper()
	n, err := c.WaitForLeader(context.Background(), timeout)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func waitStreaming(b *testing.B, c *devcluster.Cluster) {
	b.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		ok := 0
		for _, n := range c.Nodes {
			if code, _ := n.Get(context.Background(), "/primary"); code == 200 {
				ok++
			} else if code, _ := n.Get(context.Background(), "/replica?replication_state=streaming"); code == 200 {
				ok++
			}
		}
		if ok == len(c.Nodes) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.Fatal("the cluster did not become healthy again")
}

func exec1(n *devcluster.Node, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, n.DSN())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// writeGap returns how long after start an INSERT first commits on a primary of c.
func writeGap(b *testing.B, c *devcluster.Cluster, start time.Time) time.Duration {
	b.Helper()
	for time.Since(start) < 3*time.Minute {
		for _, n := range c.Nodes {
			if !n.Running() {
				continue
			}
			if exec1(n, "INSERT INTO bench DEFAULT VALUES") == nil {
				return time.Since(start)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatal("writes did not resume within 3 minutes")
	return 0
}

func report(b *testing.B, gaps []time.Duration) {
	var sum time.Duration
	for _, g := range gaps {
		sum += g
	}
	b.ReportMetric(sum.Seconds()/float64(len(gaps)), "write-gap-s")
	b.ReportMetric(0, "ns/op")
	fmt.Fprintf(os.Stderr, "%s: write gaps %v\n", b.Name(), gaps)
}

// BenchmarkNodeDeath: kill -9 of the primary's patroni and PostgreSQL together.
func BenchmarkNodeDeath(b *testing.B) {
	c := cluster(b)
	var gaps []time.Duration
	for i := 0; i < b.N; i++ {
		p := leader(b, c, 60*time.Second)
		start := time.Now()
		p.Kill()
		gaps = append(gaps, writeGap(b, c, start))
		if err := p.Start(); err != nil {
			b.Fatal(err)
		}
		waitStreaming(b, c)
	}
	report(b, gaps)
}

// BenchmarkPostgresKill: kill -9 of the primary's PostgreSQL only (restarted in place).
func BenchmarkPostgresKill(b *testing.B) {
	c := cluster(b)
	var gaps []time.Duration
	for i := 0; i < b.N; i++ {
		p := leader(b, c, 60*time.Second)
		start := time.Now()
		p.KillPostgres(syscall.SIGKILL)
		gaps = append(gaps, writeGap(b, c, start))
		waitStreaming(b, c)
	}
	report(b, gaps)
}

// BenchmarkSwitchover: POST /switchover to a replica; the gap is the time writes fail.
func BenchmarkSwitchover(b *testing.B) {
	c := cluster(b)
	var gaps []time.Duration
	for i := 0; i < b.N; i++ {
		p := leader(b, c, 60*time.Second)
		var cand *devcluster.Node
		for _, n := range c.Nodes {
			if n != p {
				cand = n
				break
			}
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.Do(context.Background(), "POST", "/switchover", fmt.Sprintf(`{"leader":%q,"candidate":%q}`, p.Name, cand.Name))
		}()
		// The gap starts at the first failed write after the request.
		var failedAt time.Time
		for failedAt.IsZero() {
			if exec1(p, "INSERT INTO bench DEFAULT VALUES") != nil {
				failedAt = time.Now()
			}
		}
		gaps = append(gaps, writeGap(b, c, failedAt))
		<-done
		waitStreaming(b, c)
	}
	report(b, gaps)
}
