package testenv_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	consul "github.com/hashicorp/consul/api"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/patroni-go/patroni/internal/testenv"
)

func TestFreePortIsBindable(t *testing.T) {
	port := testenv.FreePort(t)
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("FreePort gave %d, which cannot be bound: %v", port, err)
	}
	l.Close()
}

func TestRequireNonRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: RequireNonRoot would (rightly) fail this test")
	}
	testenv.RequireNonRoot(t)
}

func TestEtcdPutGetStopRestart(t *testing.T) {
	start := time.Now()
	srv := testenv.StartEtcd(t)
	t.Logf("etcd ready in %v at %v", time.Since(start), srv.Endpoints())

	cli, err := clientv3.New(clientv3.Config{
		Endpoints: srv.Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx := t.Context()
	if _, err := cli.Put(ctx, "/service/k", "v1"); err != nil {
		t.Fatalf("put: %v", err)
	}

	srv.Stop()
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = cli.Get(short, "/service/k")
	cancel()
	if err == nil {
		t.Fatal("get succeeded while etcd was stopped")
	}

	start = time.Now()
	srv.Restart(t)
	t.Logf("etcd restarted in %v", time.Since(start))
	resp, err := cli.Get(ctx, "/service/k")
	if err != nil {
		t.Fatalf("get after restart: %v", err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v1" {
		t.Fatalf("after restart /service/k = %v, want v1", resp.Kvs)
	}
}

func TestZooKeeperPutGetStopRestart(t *testing.T) {
	start := time.Now()
	srv := testenv.StartZooKeeper(t)
	t.Logf("ZooKeeper ready in %v at %s", time.Since(start), srv.Addr())

	log := &zkLog{}
	conn := zkConnect(t, srv.Servers(), 4*time.Second, log)
	if _, err := conn.Create("/service", []byte("v1"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create: %v", err)
	}
	conn.Close()
	if !log.contains("timeout=4000") {
		t.Errorf("the server did not grant the 4000ms session timeout asked for; client log: %q", log.lines)
	}

	srv.Stop()
	if srv.PID() != 0 {
		t.Fatalf("PID after Stop = %d, want 0", srv.PID())
	}
	start = time.Now()
	srv.Restart(t)
	t.Logf("ZooKeeper restarted in %v", time.Since(start))

	conn = zkConnect(t, srv.Servers(), 4*time.Second, &zkLog{})
	defer conn.Close()
	data, _, err := conn.Get("/service")
	if err != nil || string(data) != "v1" {
		t.Fatalf("after restart /service = %q, %v; want v1", data, err)
	}
}

// zkLog keeps the client's log lines, which are the only place it tells the negotiated
// session timeout.
type zkLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *zkLog) Printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *zkLog) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// zkConnect opens a session and waits until it is established.
func zkConnect(t *testing.T, servers []string, timeout time.Duration, log *zkLog) *zk.Conn {
	t.Helper()
	conn, events, err := zk.Connect(servers, timeout, zk.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return conn
			}
		case <-deadline:
			conn.Close()
			t.Fatal("no ZooKeeper session after 10s")
		}
	}
}

func TestConsulPutGetStopRestart(t *testing.T) {
	start := time.Now()
	srv := testenv.StartConsul(t)
	t.Logf("Consul ready in %v at %s", time.Since(start), srv.Addr())

	cli, err := consul.NewClient(&consul.Config{Address: srv.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	// Ready means a session can be created at once.
	if _, _, err := cli.Session().Create(&consul.SessionEntry{TTL: "15s"}, nil); err != nil {
		t.Fatalf("create session on a ready agent: %v", err)
	}
	if _, err := cli.KV().Put(&consul.KVPair{Key: "service/k", Value: []byte("v1")}, nil); err != nil {
		t.Fatalf("put: %v", err)
	}

	srv.Stop()
	if _, _, err := cli.KV().Get("service/k", nil); err == nil {
		t.Fatal("get succeeded while Consul was stopped")
	}

	start = time.Now()
	srv.Restart(t)
	t.Logf("Consul restarted in %v", time.Since(start))
	kv, _, err := cli.KV().Get("service/k", nil)
	if err != nil || kv == nil || string(kv.Value) != "v1" {
		t.Fatalf("after restart service/k = %+v, %v; want v1", kv, err)
	}
}

func TestConsulInMemoryStartsEmptyAfterRestart(t *testing.T) {
	start := time.Now()
	srv := testenv.StartConsulInMemory(t)
	t.Logf("in-memory Consul ready in %v at %s", time.Since(start), srv.Addr())

	cli, err := consul.NewClient(&consul.Config{Address: srv.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli.Session().Create(&consul.SessionEntry{TTL: "15s"}, nil); err != nil {
		t.Fatalf("create session on a ready agent: %v", err)
	}
	if _, err := cli.KV().Put(&consul.KVPair{Key: "service/k", Value: []byte("v1")}, nil); err != nil {
		t.Fatalf("put: %v", err)
	}
	start = time.Now()
	srv.Restart(t)
	t.Logf("in-memory Consul restarted in %v", time.Since(start))
	kv, _, err := cli.KV().Get("service/k", nil)
	if err != nil || kv != nil {
		t.Fatalf("after restart service/k = %+v, %v; want no key (data is in memory only)", kv, err)
	}
}
