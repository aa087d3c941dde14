package devcluster

import (
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// EmbeddedEtcd is a real single-member etcd server running inside this process.
type EmbeddedEtcd struct {
	server   *embed.Etcd
	Endpoint string // host:port of the client listener
}

// StartEmbeddedEtcd starts etcd with its data and log under dir, on a free loopback port.
func StartEmbeddedEtcd(dir string) (*EmbeddedEtcd, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	client := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", ports[0])}
	peer := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", ports[1])}
	cfg := embed.NewConfig()
	cfg.Name = "devcluster"
	cfg.Dir = filepath.Join(dir, "etcd")
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	cfg.TickMs, cfg.ElectionMs = 50, 500
	cfg.Logger, cfg.LogLevel = "zap", "warn"
	cfg.LogOutputs = []string{filepath.Join(dir, "etcd.log")}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		e.Close()
		return nil, fmt.Errorf("embedded etcd did not become ready in 30s")
	}
	return &EmbeddedEtcd{server: e, Endpoint: client.Host}, nil
}

// Close stops the server.
func (e *EmbeddedEtcd) Close() { e.server.Close() }
