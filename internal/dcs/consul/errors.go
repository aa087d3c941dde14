package consul

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/patroni-go/patroni/internal/dcs"
)

// ErrPermissionDenied: the agent refused the request for lack of ACL rights (HTTP 403).
// Such errors also wrap dcs.ErrUnreachable: the store is not usable by this node.
var ErrPermissionDenied = errors.New("consul: ACL permission denied (check consul.token)")

// errNoName: patronictl's store has no member name and must not touch the lock.
var errNoName = errors.New("consul: this store has no member name")

var (
	// errInvalidSession: Consul no longer knows the session we used (HTTP 500
	// "invalid session ...").
	errInvalidSession = errors.New("invalid session")
	// errInvalidTTL: Consul rejected the session TTL (HTTP 500 "Invalid Session TTL ...").
	errInvalidTTL = errors.New("invalid session TTL")
)

// classify maps a consul/api error to our sentinels and says whether trying again
// may help: connection failures, timeouts and server-side errors may; a refusal
// (403, 4xx) or an invalid session will not.
func classify(err error) (error, bool) {
	var se api.StatusError
	if !errors.As(err, &se) {
		if errors.Is(err, context.Canceled) || errors.Is(err, ErrPermissionDenied) {
			return err, false
		}
		return err, true // transport error or timeout
	}
	switch {
	case se.Code == http.StatusForbidden:
		return fmt.Errorf("%w: %s", ErrPermissionDenied, se.Body), false
	case se.Code == http.StatusInternalServerError && strings.HasPrefix(se.Body, "invalid session"):
		return fmt.Errorf("%w: %s", errInvalidSession, se.Body), false
	case se.Code == http.StatusInternalServerError && strings.HasPrefix(se.Body, "Invalid Session TTL"):
		return fmt.Errorf("%w: %s", errInvalidTTL, se.Body), false
	case se.Code >= 500 || se.Code == http.StatusTooManyRequests:
		return err, true
	}
	return err, false
}

// retry runs f until it succeeds, fails for good, or ctx (bounded by op to
// retry_timeout) ends; each attempt may take retry_timeout/3, as in Patroni, so a hung
// connection is abandoned in time for another try. Backoff grows to one second.
func (s *Store) retry(ctx context.Context, f func(ctx context.Context) error) error {
	per := max(s.getTiming().RetryTimeout/3, 500*time.Millisecond)
	delay := 50 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, per)
		err := f(actx)
		cancel()
		if err == nil {
			return nil
		}
		mapped, again := classify(err)
		if !again || ctx.Err() != nil {
			return mapped
		}
		select {
		case <-ctx.Done():
			return mapped
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}

// op bounds one Store method by retry_timeout and turns failures into errors the HA
// loop understands: anything that kept us from getting an answer wraps ErrUnreachable.
func (s *Store) op(ctx context.Context, name string, f func(ctx context.Context) error) error {
	timeout := s.getTiming().RetryTimeout
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := f(ctx)
	if err == nil {
		return nil
	}
	return s.wrap(name, err, timeout)
}

func (s *Store) wrap(name string, err error, timeout time.Duration) error {
	if errors.Is(err, dcs.ErrUnreachable) || errors.Is(err, errNoName) {
		return err
	}
	var se api.StatusError
	isStatus := errors.As(err, &se)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		err = fmt.Errorf("no answer within retry_timeout %v: %w", timeout, err)
	case isStatus && se.Code < 500 && se.Code != http.StatusTooManyRequests:
		// A request the agent refused as malformed: retrying elsewhere will not help.
		return fmt.Errorf("consul %s: agent at %s: %w", name, s.where, err)
	}
	return dcs.Unreachable("consul "+name, fmt.Errorf("agent at %s: %w", s.where, err))
}
