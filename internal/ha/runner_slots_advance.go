package ha

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/patroni-go/patroni/internal/pg"
)

// logicalAdvancer moves logical slots forward on a replica in the background:
// decoding a long stretch of WAL can take longer than a cycle (Patroni's
// SlotsAdvanceThread). A goroutine runs only while work is scheduled.
type logicalAdvancer struct {
	mu        sync.Mutex
	scheduled map[string]map[string]int64 // database → slot → target LSN
	running   bool
	failed    bool
	copy      []string // slots whose WAL is gone or that were invalidated
}

type advanceFunc func(ctx context.Context, database string, targets map[string]pg.LSN) map[string]error

// schedule adds targets and starts the worker if needed. It returns whether an
// advance failed since the last call and the slots that must be copied afresh.
func (a *logicalAdvancer) schedule(targets map[string]map[string]int64, do advanceFunc, log *slog.Logger) (bool, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for db, slots := range targets {
		for name, lsn := range slots {
			if containsString(a.copy, name) {
				continue
			}
			if a.scheduled == nil {
				a.scheduled = map[string]map[string]int64{}
			}
			if a.scheduled[db] == nil {
				a.scheduled[db] = map[string]int64{}
			}
			a.scheduled[db][name] = lsn
		}
	}
	failed, broken := a.failed, a.copy
	a.failed, a.copy = false, nil
	if len(a.scheduled) > 0 && !a.running {
		a.running = true
		go a.run(do, log)
	}
	return failed, broken
}

// clean forgets all scheduled work (after a promotion or before a copy).
func (a *logicalAdvancer) clean() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.scheduled, a.failed, a.copy = nil, false, nil
}

func (a *logicalAdvancer) run(do advanceFunc, log *slog.Logger) {
	for {
		a.mu.Lock()
		if len(a.scheduled) == 0 {
			a.running = false
			a.mu.Unlock()
			return
		}
		batch := map[string]map[string]int64{}
		for db, slots := range a.scheduled {
			batch[db] = map[string]int64{}
			for name, lsn := range slots {
				batch[db][name] = lsn
			}
		}
		a.mu.Unlock()
		for db, slots := range batch {
			targets := map[string]pg.LSN{}
			for name, lsn := range slots {
				targets[name] = pg.LSN(lsn)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			failed := do(ctx, db, targets)
			cancel()
			a.finish(db, slots, failed, log)
		}
	}
}

// finish records one database's results: a slot leaves the schedule when it is to be
// copied or when no newer target arrived meanwhile.
func (a *logicalAdvancer) finish(db string, done map[string]int64, failed map[string]error, log *slog.Logger) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for name, lsn := range done {
		err := failed[name]
		needCopy := err != nil && pg.SlotNeedsCopy(err)
		if err != nil {
			log.Error("Failed to advance logical replication slot", "slot", name, "error", err)
			a.failed = true
			if needCopy && !containsString(a.copy, name) {
				a.copy = append(a.copy, name)
			}
		}
		if needCopy || a.scheduled[db][name] == lsn {
			delete(a.scheduled[db], name)
			if len(a.scheduled[db]) == 0 {
				delete(a.scheduled, db)
			}
		}
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
