package zookeeper

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/patroni-go/patroni/internal/dcs"
)

var (
	// errNotConnected: no session right now. Requests are not queued while the client
	// reconnects (Patroni's behaviour); the retry loop tries again until retry_timeout.
	errNotConnected = errors.New("not connected to ZooKeeper")
	// errNoAnswer: a request got no answer within the read timeout.
	errNoAnswer = errors.New("no answer from ZooKeeper")
)

// retryable errors are about the connection, not the request.
func retryable(err error) bool {
	for _, e := range []error{errNotConnected, errNoAnswer, zk.ErrConnectionClosed, zk.ErrNoServer,
		zk.ErrSessionExpired, zk.ErrSessionMoved, zk.ErrClosing} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// run calls f with the current session until it returns a result or an error that is
// not about the connection, for at most retry_timeout (Patroni's command retry: back-off
// from 50ms doubling to 1s). Giving up yields an error wrapping dcs.ErrUnreachable;
// request errors (ErrNoNode, ErrBadVersion, ...) are returned as they are.
func run[T any](ctx context.Context, s *Store, op string, f func(*session) (T, error)) (T, error) {
	var zero T
	t := s.currentTiming()
	ctx, cancel := context.WithTimeout(ctx, t.RetryTimeout)
	defer cancel()
	delay := 50 * time.Millisecond
	for {
		se, err := s.session()
		if errors.Is(err, errClosed) {
			return zero, dcs.Unreachable(op, err)
		}
		if err == nil {
			var v T
			v, err = attempt(ctx, attemptTimeout(t), se, f)
			if err == nil || !retryable(err) {
				return v, err
			}
		}
		select {
		case <-ctx.Done():
			return zero, dcs.Unreachable(op, fmt.Errorf("%w (gave up after %v)", err, t.RetryTimeout))
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}

// attempt runs f once, waiting at most timeout. A request that gets no answer makes us
// drop the connection, so the client moves to another server (kazoo's read timeout).
// f runs in its own goroutine and returns its values through a channel, so an abandoned
// attempt cannot race with the next one.
func attempt[T any](ctx context.Context, timeout time.Duration, se *session, f func(*session) (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f(se)
		ch <- result{v, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var zero T
	select {
	case r := <-ch:
		return r.v, r.err
	case <-timer.C:
		se.link.drop()
		return zero, fmt.Errorf("%w within %v", errNoAnswer, timeout)
	case <-ctx.Done():
		return zero, fmt.Errorf("%w: %w", errNoAnswer, ctx.Err())
	}
}

// fail wraps an unexpected error as a DCS failure for the HA loop.
func fail(op string, err error) error {
	if err == nil || errors.Is(err, dcs.ErrUnreachable) {
		return err
	}
	return dcs.Unreachable(op, err)
}
