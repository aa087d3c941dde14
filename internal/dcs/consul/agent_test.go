package consul_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/testenv"
)

// agent is a Consul -dev agent with extra configuration (ACLs, TLS) that testenv does
// not offer, run as our child and killed by its pid when the test ends.
type agent struct {
	httpAddr  string
	httpsAddr string
}

const agentNode = "consultest"

func startAgent(t *testing.T, extra map[string]any, token string) *agent {
	t.Helper()
	bin := testenv.ConsulBinary()
	if _, err := exec.LookPath(bin); err != nil {
		testenv.Unavailable(t, "no consul binary at %s: %v", bin, err)
	}
	dir := t.TempDir()
	a := &agent{httpAddr: fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))}
	ports := map[string]int{"http": port(a.httpAddr), "https": -1, "serf_lan": testenv.FreePort(t),
		"serf_wan": testenv.FreePort(t), "server": testenv.FreePort(t), "dns": -1, "grpc": -1, "grpc_tls": -1}
	if _, ok := extra["tls"]; ok {
		ports["https"] = testenv.FreePort(t)
		a.httpsAddr = fmt.Sprintf("127.0.0.1:%d", ports["https"])
	}
	cfg := map[string]any{
		"node_name": agentNode, "bind_addr": "127.0.0.1", "advertise_addr": "127.0.0.1",
		"client_addr": "127.0.0.1", "ports": ports, "log_level": "warn", "disable_update_check": true,
		"ui_config": map[string]any{"enabled": false},
	}
	for k, v := range extra {
		cfg[k] = v
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "agent.json")
	if err := os.WriteFile(cfgPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "agent.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "agent", "-dev", "-config-file", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			log, _ := os.ReadFile(logf.Name())
			t.Logf("agent log:\n%s", log)
		}
	})
	waitReady(t, a.httpAddr, token, done)
	return a
}

func port(addr string) int {
	var p int
	fmt.Sscanf(addr[len("127.0.0.1:"):], "%d", &p)
	return p
}

// waitReady waits until the agent's node is registered and healthy: sessions need it.
func waitReady(t *testing.T, addr, token string, exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatal("consul agent exited during start")
		default:
		}
		if healthy(addr, token) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("consul agent not ready within 60s")
}

func healthy(addr, token string) bool {
	req, _ := http.NewRequest("GET", "http://"+addr+"/v1/health/node/"+agentNode, nil)
	if token != "" {
		req.Header.Set("X-Consul-Token", token)
	}
	resp, err := (&http.Client{Timeout: time.Second}).Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var checks []struct{ CheckID, Status string }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&checks) != nil {
		return false
	}
	for _, c := range checks {
		if c.CheckID == "serfHealth" && c.Status == "passing" {
			return true
		}
	}
	return false
}
