// Command server serves the REST API over a fixed fake snapshot (a streaming replica
// in a 2-node cluster) so that load generators such as wrk can measure it:
//
//	go run ./bench/api/server -listen 127.0.0.1:8008
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/patroni-go/patroni/internal/api"
	"github.com/patroni-go/patroni/internal/cluster"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8008", "host:port to serve on (loopback only for benchmarks)")
	flag.Parse()
	pub := &api.Publisher{}
	pub.Publish(snapshot())
	srv, err := api.New(api.Config{Listen: *listen}, api.Options{Publisher: pub, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := srv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("serving on", *listen)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	refresh := time.NewTicker(time.Second)
	defer refresh.Stop()
	for {
		select {
		case <-ctx.Done():
			_ = srv.Shutdown(context.Background())
			return
		case <-refresh.C:
			pub.Publish(snapshot()) // as the HA loop would, keeping the view fresh
		}
	}
}

func snapshot() *api.Snapshot {
	now := time.Now()
	ts := now.Add(-time.Second)
	view := cluster.Parse([]cluster.KeyValue{
		{Key: "leader", Value: []byte("node1")},
		{Key: "status", Value: []byte(`{"optime":67395656}`)},
		{Key: "members/node1", Value: []byte(`{"conn_url":"postgres://127.0.0.1:5432/postgres","api_url":"http://127.0.0.1:8008/patroni","state":"running","role":"primary"}`)},
		{Key: "members/node2", Value: []byte(`{"conn_url":"postgres://127.0.0.2:5432/postgres","api_url":"http://127.0.0.2:8008/patroni","state":"running","role":"replica"}`)},
		{Key: "config", Value: []byte(`{"ttl":30,"loop_wait":10}`), Version: 1, ModifyVersion: 1},
	})
	return &api.Snapshot{
		Scope: "bench", Name: "node2", Version: "4.1.4", State: "running", Role: cluster.RoleReplica,
		Queried: true, InRecovery: true, PostmasterStartTime: now.Add(-time.Hour), ServerVersion: 150004,
		ReceivedLocation: 67395656, ReplayedLocation: 67395600, ReplayedTimestamp: &ts, Timeline: 1,
		ReplicationState: "streaming", DCSLastSeen: now, Tags: map[string]any{"dc": "east"},
		SystemID: "7268616322854375442", NextRun: now.Add(10 * time.Second),
		MaximumLagOnFailover: 1 << 20, TTL: 30 * time.Second, LoopWait: 10 * time.Second,
		View: view, ViewTime: now,
	}
}
