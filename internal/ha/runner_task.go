package ha

import (
	"context"
	"time"
)

// task is the single background slot (Patroni's async executor): bootstrap, clone,
// restart, promote, rewind, reinitialize, crash recovery, demotion.
type task struct {
	name   string
	cancel context.CancelFunc
	done   chan struct{}
	ok     bool
}

// startTask runs fn in the background slot under name. It refuses (false) when another
// task runs, logging Patroni's message.
func (r *Runner) startTask(name string, fn func(ctx context.Context) bool) bool {
	r.mu.Lock()
	if r.task != nil {
		cur := r.task.name
		r.mu.Unlock()
		r.log.Info("Failed to run " + name + ", " + cur + " is already in progress")
		return false
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &task{name: name, cancel: cancel, done: make(chan struct{})}
	r.task = t
	r.mu.Unlock()
	go func() {
		defer close(t.done)
		defer cancel()
		ok := fn(ctx)
		r.mu.Lock()
		t.ok = ok
		r.task = nil
		r.completed = append(r.completed, TaskResult{Action: name, OK: ok})
		r.mu.Unlock()
		r.publish()
		if ok {
			// Act on the result now; a failed task is retried at the next regular cycle,
			// not in a tight loop.
			r.Wake()
		}
	}()
	r.publish()
	return true
}

// runningTask returns the task in the slot, nil when idle.
func (r *Runner) runningTask() *task {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.task
}

// cancelTask cancels the running task and waits up to wait for it to finish.
func (r *Runner) cancelTask(wait time.Duration) {
	t := r.runningTask()
	if t == nil {
		return
	}
	t.cancel()
	select {
	case <-t.done:
	case <-time.After(wait):
		r.log.Warn("background task did not stop in time", "task", t.name)
	}
}

func (r *Runner) setResponse(v ResponseState) {
	r.mu.Lock()
	r.response = v
	r.mu.Unlock()
}
