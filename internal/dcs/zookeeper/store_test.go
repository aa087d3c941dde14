package zookeeper_test

import (
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/dcs"
	"github.com/patroni-go/patroni/internal/dcs/dcstest"
	"github.com/patroni-go/patroni/internal/dcs/zookeeper"
	"github.com/patroni-go/patroni/internal/testenv"
)

func testLogger() *slog.Logger {
	if os.Getenv("ZK_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func TestContract(t *testing.T) {
	t.Parallel() // each test has its own server
	z := testenv.StartZooKeeper(t)
	start := time.Now()
	newStore := func(t *testing.T, id dcs.Identity, timing dcs.Timing) dcs.Store {
		st, err := zookeeper.New(zookeeper.Config{Hosts: z.Servers()}, id, timing, testLogger())
		if err != nil {
			t.Fatalf("zookeeper.New: %v", err)
		}
		return st
	}
	dcstest.Run(t, newStore, dcstest.ControlFuncs{StopFunc: z.Stop, RestartFunc: func() { z.Restart(t) }})
	t.Logf("contract suite took %v", time.Since(start).Round(time.Millisecond))
}
