package testenv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// consulNode is the agent's node name; sessions the tests create belong to it.
const consulNode = "testenv"

// Consul is a single Consul server agent (v1.14.11, built by scripts/build-consul.sh) run
// as a child process.
type Consul struct {
	external
	addr string
}

// ConsulBinary returns the consul binary the tests use: env PATRONI_TEST_CONSUL_BIN, else
// where scripts/build-consul.sh puts it.
func ConsulBinary() string {
	if bin := os.Getenv("PATRONI_TEST_CONSUL_BIN"); bin != "" {
		return bin
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "consul"
	}
	return filepath.Join(cache, "patroni-go", "consul-1.14.11")
}

// StartConsul starts a bootstrapped single-server Consul on free loopback ports (DNS and
// gRPC off) with its data in t.TempDir(). It is ready when this returns: it has a leader
// and its node is registered and healthy, so sessions can be created at once. A restart
// keeps keys and sessions. It takes about 2s to start (raft's slowest-allowed timings).
func StartConsul(t testing.TB) *Consul {
	t.Helper()
	return startConsul(t, false)
}

// StartConsulInMemory is StartConsul in Consul's -dev mode: it starts in a fraction of the
// time, but keeps its data in memory, so Restart begins with an empty store.
func StartConsulInMemory(t testing.TB) *Consul {
	t.Helper()
	return startConsul(t, true)
}

func startConsul(t testing.TB, inMemory bool) *Consul {
	t.Helper()
	bin := ConsulBinary()
	if _, err := exec.LookPath(bin); err != nil {
		Unavailable(t, "no consul binary at %s (build it with scripts/build-consul.sh, "+
			"or set PATRONI_TEST_CONSUL_BIN): %v", bin, err)
	}
	var addr string
	p, err := startRetrying(func(ports []int) (*process, error) {
		addr = loopback(ports[0])
		return newConsulProcess(t.TempDir(), bin, ports, inMemory)
	}, 4)
	if err != nil {
		t.Fatalf("testenv: start Consul: %v", err)
	}
	t.Cleanup(p.stop)
	logOnFailure(t, p.name, p.logPath)
	return &Consul{external: external{p}, addr: addr}
}

// newConsulProcess configures an agent; ports are http, serf_lan, serf_wan, server (RPC).
func newConsulProcess(dir, bin string, ports []int, inMemory bool) (*process, error) {
	cfg := map[string]any{
		"node_name":      consulNode,
		"datacenter":     "dc1",
		"bind_addr":      "127.0.0.1",
		"advertise_addr": "127.0.0.1",
		"client_addr":    "127.0.0.1",
		"ports": map[string]int{"http": ports[0], "serf_lan": ports[1], "serf_wan": ports[2],
			"server": ports[3], "dns": -1, "grpc": -1, "grpc_tls": -1, "https": -1},
		"log_level":            "warn",
		"disable_update_check": true,
		"leave_on_terminate":   false,
		"ui_config":            map[string]any{"enabled": false},
	}
	cfgPath := filepath.Join(dir, "consul.json")
	argv := []string{bin, "agent", "-config-file", cfgPath}
	if inMemory {
		argv = append(argv, "-dev")
	} else {
		cfg["server"], cfg["bootstrap"] = true, true
		cfg["data_dir"] = filepath.Join(dir, "data")
		// The fastest raft timing a non-dev agent accepts; only -dev may go faster.
		cfg["performance"] = map[string]any{"raft_multiplier": 1}
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(cfgPath, data, 0o644); err != nil {
		return nil, err
	}
	base := "http://" + loopback(ports[0])
	return &process{
		name:    "consul",
		argv:    argv,
		logPath: filepath.Join(dir, "consul.log"),
		ready:   func() error { return consulReady(base) },
	}, nil
}

var consulHTTP = &http.Client{Timeout: 2 * time.Second}

// consulReady checks that a leader is elected and the node's serf health check passes:
// Consul refuses to create a session for a node without it.
func consulReady(base string) error {
	var leader string
	if err := getJSON(base+"/v1/status/leader", &leader); err != nil {
		return err
	}
	if leader == "" {
		return fmt.Errorf("no leader yet")
	}
	var checks []struct{ CheckID, Status string }
	if err := getJSON(base+"/v1/health/node/"+consulNode, &checks); err != nil {
		return err
	}
	for _, c := range checks {
		if c.CheckID == "serfHealth" && c.Status == "passing" {
			return nil
		}
	}
	return fmt.Errorf("node %s is not registered and healthy yet: %v", consulNode, checks)
}

func getJSON(url string, v any) error {
	resp, err := consulHTTP.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// Addr returns the HTTP API address, "127.0.0.1:port" (consul/api Config.Address, and
// Patroni's consul.host form).
func (c *Consul) Addr() string { return c.addr }

// URL returns the HTTP API base URL.
func (c *Consul) URL() string { return "http://" + c.addr }
