package sim

import (
	"flag"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	seedFlag  = flag.Uint64("seed", 0, "replay one seed (TestSeed)")
	traceFlag = flag.Bool("simtrace", false, "print the trace of TestSeed")
	seedsFlag = flag.Int("seeds", 10000, "number of seeds TestSeeds runs")
	soakFlag  = flag.Int("soak.seeds", 0, "TestSoak: number of seeds (0 = skip)")
	soakStart = flag.Uint64("soak.start", 1_000_000, "TestSoak: first seed")
	recreate  = flag.Bool("sim.recreate", false, "fake DCS re-creates a vanished leader key on UpdateLock (etcd3 Patroni)")
	noStall   = flag.Bool("sim.nostallguard", false, "disable the executor's stall guard")
)

func configFor(seed uint64) Config {
	c := RandomConfig(seed)
	c.RecreateOnUpdate, c.NoStallGuard = *recreate, *noStall
	return c
}

func replay(seed uint64) string {
	extra := ""
	if *recreate {
		extra += " -sim.recreate"
	}
	if *noStall {
		extra += " -sim.nostallguard"
	}
	return fmt.Sprintf("go test ./internal/sim -run 'TestSeed$' -seed=%d -simtrace%s", seed, extra)
}

func report(t *testing.T, r Result) {
	t.Helper()
	tail := r.Trace
	if len(tail) > 60 {
		tail = tail[len(tail)-60:]
	}
	t.Errorf("seed %d failed (%+v):\n  %s\nlast trace lines:\n%s\nreplay: %s",
		r.Config.Seed, r.Config, strings.Join(r.Failures, "\n  "), strings.Join(tail, "\n"), replay(r.Config.Seed))
}

// TestSeed replays one seed: go test ./internal/sim -run 'TestSeed$' -seed=N -simtrace
func TestSeed(t *testing.T) {
	if *seedFlag == 0 {
		t.Skip("use -seed=N")
	}
	cfg := configFor(*seedFlag)
	cfg.Trace = *traceFlag
	r := Run(cfg)
	if *traceFlag {
		t.Log("\n" + strings.Join(r.Trace, "\n"))
	}
	t.Logf("config %+v\nstats %+v", r.Config, r.Stats)
	if len(r.Failures) > 0 {
		report(t, r)
	}
}

// runSeeds runs [start, start+n) on all CPUs and stops at the first failure.
func runSeeds(t *testing.T, start uint64, n int) (Stats, time.Duration) {
	var next atomic.Uint64
	next.Store(start)
	var mu sync.Mutex
	var failed *Result
	var agg Stats
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				s := next.Add(1) - 1
				if s >= start+uint64(n) {
					return
				}
				r := Run(configFor(s))
				if len(r.Failures) > 0 {
					cfg := r.Config
					cfg.Trace = true
					r = Run(cfg) // same seed, now with the trace
				}
				mu.Lock()
				agg.Promotions += r.Stats.Promotions
				agg.Acked += r.Stats.Acked
				agg.Writes += r.Stats.Writes
				agg.MaxResumeWindow = max(agg.MaxResumeWindow, r.Stats.MaxResumeWindow)
				agg.Recovery = max(agg.Recovery, r.Stats.Recovery)
				if len(r.Failures) > 0 && (failed == nil || r.Config.Seed < failed.Config.Seed) {
					failed = &r
					next.Store(start + uint64(n))
				}
				mu.Unlock()
			}
		}()
	}
	began := time.Now()
	wg.Wait()
	if failed != nil {
		report(t, *failed)
	}
	return agg, time.Since(began)
}

// TestSeeds runs 10,000 seeds (each ~7 simulated minutes of faults and healing).
func TestSeeds(t *testing.T) {
	n := *seedsFlag
	if testing.Short() {
		n = 500
	}
	stats, took := runSeeds(t, 1, n)
	t.Logf("%d seeds in %v: %d promotions, %d/%d writes acknowledged, max recovery after heal %v, max resumed-writer window %v",
		n, took.Round(time.Millisecond), stats.Promotions, stats.Acked, stats.Writes, stats.Recovery, stats.MaxResumeWindow)
}

// TestSoak: go test ./internal/sim -run TestSoak -soak.seeds=1000000 -timeout 0
func TestSoak(t *testing.T) {
	if *soakFlag == 0 {
		t.Skip("use -soak.seeds=N")
	}
	stats, took := runSeeds(t, *soakStart, *soakFlag)
	t.Logf("%d seeds in %v: %+v", *soakFlag, took, stats)
}
