package sim

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Config describes one simulated run. RandomConfig derives one from a seed.
type Config struct {
	Seed    uint64
	Members int

	TTL          time.Duration
	LoopWait     time.Duration
	RetryTimeout time.Duration
	MaxLag       int64 // maximum_lag_on_failover, in WAL records

	Sync      bool
	Strict    bool
	SyncCount int
	Failsafe  bool
	Watchdog  bool

	// Faults run for FaultPhase; then everything heals and the cluster must settle.
	FaultPhase time.Duration
	Settle     time.Duration
	// MeanFaultGap is the mean time between fault injections.
	MeanFaultGap time.Duration

	// RecreateOnUpdate: the DCS re-creates a vanished leader key on UpdateLock (Patroni's
	// etcd3 behaviour). NoStallGuard disables the executor's stall guard. Both exist to
	// show what the simulator catches without them.
	RecreateOnUpdate bool
	NoStallGuard     bool

	Trace bool
}

// RandomConfig picks a configuration within Patroni's timing assumptions
// (ttl ≥ loop_wait + 2 × retry_timeout).
func RandomConfig(seed uint64) Config {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	loop := time.Duration(2+r.IntN(4)) * time.Second
	retry := time.Duration(2+r.IntN(3)) * time.Second
	ttl := loop + 2*retry + time.Duration(r.IntN(6))*time.Second
	c := Config{Seed: seed, Members: 2 + r.IntN(3), TTL: ttl, LoopWait: loop, RetryTimeout: retry,
		MaxLag: int64(20 + r.IntN(200)), FaultPhase: 4 * time.Minute, Settle: 3 * time.Minute,
		MeanFaultGap: 20 * time.Second}
	switch r.IntN(4) {
	case 0, 1:
		c.Sync = true
		c.Strict = r.IntN(2) == 0
		c.SyncCount = 1 + r.IntN(2)
	}
	c.Failsafe = r.IntN(3) == 0
	if c.Failsafe {
		// The primary's failsafe cycle (failed read + POST /failsafe with 2 × 2 s)
		// must end before the replicas' failsafe information expires.
		c.TTL = max(c.TTL, loop+retry+5*time.Second)
	}
	c.Watchdog = r.IntN(2) == 0
	return c
}

type event struct {
	at    time.Time
	seq   int64
	owner int // node index or -1
	gen   int // node generation when scheduled (crash/restart drops old events)
	fn    func()
}

type eventHeap []*event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(*event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// World is one deterministic simulation.
type World struct {
	cfg    Config
	rng    *rand.Rand
	start  time.Time
	now    time.Time
	events eventHeap
	seq    int64
	nextID int64

	dcs   *fakeDCS
	nodes []*node

	cut map[[2]int]bool // member↔member links that are down

	pending   []*write
	acked     []int64
	failures  []string
	trace     []string
	healedAt  time.Time
	liveAt    time.Time
	stats     Stats
	nextWrite int64
}

// Stats summarises a run.
type Stats struct {
	Promotions, Demotions, Writes, Acked, LostAsync, LostManual, UnsafeAcks int
	MaxResumeWindow                                                         time.Duration
	Recovery                                                                time.Duration // heal → writable leader
}

func newWorld(cfg Config) *World {
	w := &World{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0xa5a5)),
		start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), cut: map[[2]int]bool{}}
	w.now = w.start
	w.dcs = newFakeDCS(w, cfg.TTL)
	w.dcs.recreateOnUpdate = cfg.RecreateOnUpdate
	for i := range cfg.Members {
		w.nodes = append(w.nodes, newNode(w, i))
	}
	return w
}

func (w *World) id() int64 { w.nextID++; return w.nextID }

// at schedules fn at t for owner (-1 = the world).
func (w *World) at(t time.Time, owner int, fn func()) {
	w.seq++
	gen := 0
	if owner >= 0 {
		gen = w.nodes[owner].gen
	}
	heap.Push(&w.events, &event{at: t, seq: w.seq, owner: owner, gen: gen, fn: fn})
}

func (w *World) after(d time.Duration, owner int, fn func()) { w.at(w.now.Add(d), owner, fn) }

func (w *World) tracef(format string, args ...any) {
	if w.cfg.Trace { // a failing seed is re-run with Trace on (runs are deterministic)
		w.trace = append(w.trace, fmt.Sprintf("%8.3fs %s", w.now.Sub(w.start).Seconds(), fmt.Sprintf(format, args...)))
	}
}

func (w *World) failf(format string, args ...any) {
	msg := fmt.Sprintf("t=%.3fs: ", w.now.Sub(w.start).Seconds()) + fmt.Sprintf(format, args...)
	w.failures = append(w.failures, msg)
	w.tracef("INVARIANT VIOLATED: %s", msg)
}

// run executes events until end.
func (w *World) run(end time.Time) {
	for len(w.events) > 0 && len(w.failures) == 0 {
		e := heap.Pop(&w.events).(*event)
		if e.at.After(end) {
			heap.Push(&w.events, e)
			return
		}
		w.now = e.at
		if e.owner >= 0 {
			n := w.nodes[e.owner]
			if e.gen != n.gen {
				continue
			}
			if n.frozen {
				n.deferred = append(n.deferred, e)
				continue
			}
		}
		e.fn()
	}
}

// Result is the outcome of Run.
type Result struct {
	Config   Config
	Failures []string
	Trace    []string
	Stats    Stats
}

// Run simulates one seed: bootstrap, random faults, heal, settle, and checks the
// invariants at every step.
func Run(cfg Config) Result {
	w := newWorld(cfg)
	for _, n := range w.nodes {
		n.boot(time.Duration(w.rng.IntN(500)) * time.Millisecond)
	}
	w.after(100*time.Millisecond, -1, w.tick)
	w.after(200*time.Millisecond, -1, w.clientWrites)
	w.scheduleFaults()
	faultEnd := w.start.Add(cfg.FaultPhase)
	w.at(faultEnd, -1, w.heal)
	w.run(faultEnd.Add(cfg.Settle))
	if len(w.failures) == 0 {
		w.finalChecks()
	}
	return Result{Config: cfg, Failures: w.failures, Trace: w.trace, Stats: w.stats}
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (w *World) node(name string) *node {
	for _, n := range w.nodes {
		if strings.EqualFold(n.name, name) {
			return n
		}
	}
	return nil
}

// linked: members a and b can talk (REST, replication).
func (w *World) linked(a, b *node) bool {
	if a == nil || b == nil || !a.up || !b.up || a.frozen || b.frozen {
		return false
	}
	k := [2]int{min(a.idx, b.idx), max(a.idx, b.idx)}
	return !w.cut[k]
}

// leaderChanged wakes members waiting on the leader key (the DCS watch).
func (w *World) leaderChanged() {
	for _, n := range w.nodes {
		n.wake()
	}
}
