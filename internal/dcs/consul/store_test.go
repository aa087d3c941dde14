package consul_test

import (
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/dcs"
	"github.com/patroni-go/patroni/internal/dcs/consul"
	"github.com/patroni-go/patroni/internal/dcs/dcstest"
	"github.com/patroni-go/patroni/internal/testenv"
)

// contractTiming: Consul refuses session TTLs under 10 s (session_ttl_min) and the
// session TTL is ttl/2, so ttl 20 s is the shortest Patroni-compatible lock.
var contractTiming = dcs.Timing{TTL: 20 * time.Second, LoopWait: time.Second, RetryTimeout: 2 * time.Second}

func testLogger() *slog.Logger {
	if os.Getenv("CONSUL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func TestContract(t *testing.T) {
	t.Parallel()
	c := testenv.StartConsul(t)
	start := time.Now()
	newStore := func(t *testing.T, id dcs.Identity, timing dcs.Timing) dcs.Store {
		st, err := consul.New(consul.Config{Host: c.Addr()}, id, timing, testLogger())
		if err != nil {
			t.Fatalf("consul.New: %v", err)
		}
		return st
	}
	ctl := dcstest.ControlFuncs{StopFunc: c.Stop, RestartFunc: func() { c.Restart(t) }}
	dcstest.RunWith(t, newStore, ctl, dcstest.Options{Timing: contractTiming})
	t.Logf("contract suite took %v", time.Since(start).Round(time.Millisecond))
}
