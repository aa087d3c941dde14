package consul

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/consul/api"
)

// defaultSessionTTLMin is Consul's session_ttl_min when the agent does not tell.
const defaultSessionTTLMin = 10 * time.Second

// pyFloat formats seconds the way Python prints a float: "15.0", "7.5".
func pyFloat(sec float64) string {
	s := strconv.FormatFloat(sec, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// sessionTTL is the TTL of our session: half of ttl (Consul may keep a session up to
// twice its TTL), or the agent's minimum once it rejected that.
func (s *Store) sessionTTL() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ttlOverride > 0 {
		return s.ttlOverride
	}
	return s.timing.TTL / 2
}

// refreshSession makes sure we have a live session: it renews at most once per
// loop_wait unless forced, and creates a new one if there is none or Consul forgot it.
// created reports a session made by this call (keys of the old one must be re-taken).
func (s *Store) refreshSession(ctx context.Context, force bool) (id string, created bool, err error) {
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	s.mu.Lock()
	id, renewed, loopWait := s.session, s.renewed, s.timing.LoopWait
	s.mu.Unlock()
	if id != "" && !force && time.Since(renewed) < loopWait {
		return id, false, nil
	}
	if id != "" {
		alive, err := s.renewSession(ctx, id)
		if err != nil {
			return "", false, err
		}
		if !alive {
			s.log.Warn("our Consul session is gone; creating a new one", "session", id)
			id = ""
		}
	}
	if id == "" {
		if id, err = s.createSession(ctx); err != nil {
			return "", false, err
		}
		created = true
	}
	s.mu.Lock()
	s.session, s.renewed = id, time.Now()
	s.mu.Unlock()
	return id, created, nil
}

// dropSession forgets id (Consul said it is invalid) unless it was replaced already.
func (s *Store) dropSession(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.session == id {
		s.session = ""
	}
}

func (s *Store) currentSession() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session
}

// renewSession: PUT /v1/session/renew/<id>; false when Consul answers 404.
func (s *Store) renewSession(ctx context.Context, id string) (bool, error) {
	var entries []*api.SessionEntry
	err := s.retry(ctx, func(ctx context.Context) error {
		_, err := s.cli.Raw().Write("/v1/session/renew/"+id, nil, &entries, writeOpts(ctx))
		return err
	})
	var se api.StatusError
	if errors.As(err, &se) && se.Code == http.StatusNotFound {
		return false, nil
	}
	return err == nil, err
}

// createSession creates the session exactly as Patroni does: named <scope>-<name>,
// bound to the configured checks only (an empty list: not even serfHealth), lock delay
// 1 ms, behavior delete (our keys vanish with it), TTL ttl/2 as float seconds. If the
// agent rejects the TTL, its SessionTTLMin is used from then on.
func (s *Store) createSession(ctx context.Context) (string, error) {
	id, err := s.postSession(ctx)
	if errors.Is(err, errInvalidTTL) {
		minTTL := s.agentSessionTTLMin(ctx)
		s.log.Warn("Consul rejected the session TTL; using the agent's minimum",
			"ttl", s.sessionTTL(), "session_ttl_min", minTTL, "error", err)
		s.mu.Lock()
		s.ttlOverride = minTTL
		s.mu.Unlock()
		id, err = s.postSession(ctx)
	}
	return id, err
}

func (s *Store) postSession(ctx context.Context) (string, error) {
	checks := s.cfg.Checks
	if checks == nil {
		checks = []string{}
	}
	body := map[string]any{
		"name":      s.id.Scope + "-" + s.id.Name,
		"checks":    checks,
		"lockdelay": "0.001s",
		"behavior":  api.SessionBehaviorDelete,
		"ttl":       pyFloat(s.sessionTTL().Seconds()) + "s",
	}
	var out struct{ ID string }
	err := s.retry(ctx, func(ctx context.Context) error {
		_, err := s.cli.Raw().Write("/v1/session/create", body, &out, writeOpts(ctx))
		return err
	})
	if err == nil && out.ID == "" {
		err = errors.New("consul: session create returned no ID")
	}
	return out.ID, err
}

// agentSessionTTLMin asks the agent for its session_ttl_min (10s if it does not say).
func (s *Store) agentSessionTTLMin(ctx context.Context) time.Duration {
	var self map[string]map[string]any
	err := s.retry(ctx, func(ctx context.Context) error {
		_, err := s.cli.Raw().Query("/v1/agent/self", &self, (&api.QueryOptions{}).WithContext(ctx))
		return err
	})
	if err != nil {
		return defaultSessionTTLMin
	}
	for _, section := range []string{"DebugConfig", "Config"} {
		switch v := self[section]["SessionTTLMin"].(type) {
		case string:
			if d, err := time.ParseDuration(v); err == nil && d > 0 {
				return d
			}
		case float64:
			if v > 0 {
				return time.Duration(v)
			}
		}
	}
	return defaultSessionTTLMin
}
