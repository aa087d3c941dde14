package testenv

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// Etcd is a single-member etcd server embedded in the test process.
type Etcd struct {
	dir        string
	clientPort int
	peerPort   int

	mu     sync.Mutex
	server *embed.Etcd // nil while stopped
}

// StartEtcd starts an embedded single-member etcd on free loopback ports with its data
// in t.TempDir(); it is ready (has a leader) when this returns. Its log goes to etcd.log
// in the data directory and is shown when the test fails.
func StartEtcd(t testing.TB) *Etcd {
	t.Helper()
	var err error
	for range 3 {
		var ports []int
		if ports, err = freePorts(2); err != nil {
			break
		}
		e := &Etcd{dir: t.TempDir(), clientPort: ports[0], peerPort: ports[1]}
		if err = e.start(); err == nil {
			t.Cleanup(e.Stop)
			logOnFailure(t, "etcd", e.logPath())
			return e
		}
		if !errors.Is(err, syscall.EADDRINUSE) && !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("testenv: start etcd: %v", err)
	return nil
}

func (e *Etcd) config() *embed.Config {
	client := url.URL{Scheme: "http", Host: loopback(e.clientPort)}
	peer := url.URL{Scheme: "http", Host: loopback(e.peerPort)}
	cfg := embed.NewConfig()
	cfg.Name = "testenv"
	cfg.Dir = filepath.Join(e.dir, "data")
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	// A lone member elects itself after one election timeout: keep it short.
	cfg.TickMs, cfg.ElectionMs = 10, 100
	// Tests kill processes, never the machine: the page cache is durable enough.
	cfg.UnsafeNoFsync = true
	cfg.Logger, cfg.LogLevel = "zap", "warn"
	cfg.LogOutputs = []string{e.logPath()}
	return cfg
}

func (e *Etcd) logPath() string { return filepath.Join(e.dir, "etcd.log") }

func (e *Etcd) start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.server != nil {
		return errors.New("etcd is already running")
	}
	srv, err := embed.StartEtcd(e.config())
	if err != nil {
		return err
	}
	select {
	case <-srv.Server.ReadyNotify():
		e.server = srv
		return nil
	case err := <-srv.Err():
		srv.Close()
		return err
	case <-time.After(startTimeout):
		srv.Close()
		return fmt.Errorf("etcd not ready after %v", startTimeout)
	}
}

// Endpoints returns the client URLs, as clientv3.Config.Endpoints takes them.
func (e *Etcd) Endpoints() []string { return []string{"http://" + e.Addr()} }

// Addr returns the client address, "127.0.0.1:port" (Patroni's etcd3.host form).
func (e *Etcd) Addr() string { return loopback(e.clientPort) }

// Stop shuts the server down; clients see connection errors until Restart. Stopping a
// stopped server does nothing.
func (e *Etcd) Stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.server != nil {
		e.server.Close()
		e.server = nil
	}
}

// Restart stops the server if it runs and starts it again with the same data and ports.
func (e *Etcd) Restart(t testing.TB) {
	t.Helper()
	e.Stop()
	if err := e.start(); err != nil {
		t.Fatalf("testenv: restart etcd: %v", err)
	}
}
