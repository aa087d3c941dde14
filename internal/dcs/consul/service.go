package consul

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/consul/api"

	"github.com/patroni-go/patroni/internal/cluster"
)

// serviceState remembers the member data the service registration was last derived
// from; a failed attempt forces the next one.
type serviceState struct {
	last   serviceInput
	known  bool
	failed bool
}

type serviceInput struct{ role, apiURL, connURL, state string }

// ServiceName turns a scope into a DNS-friendly Consul service name as Patroni does:
// lower case; '.', ' ' and '_' become '-', any other character outside [a-z0-9-]
// becomes u + its 4-digit code point; at most 230 characters.
func ServiceName(scope string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(scope) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		case r == '.' || r == ' ' || r == '_':
			b.WriteByte('-')
		default:
			fmt.Fprintf(&b, "u%04d", r)
		}
	}
	s := b.String()
	if len(s) > 230 {
		s = s[:230]
	}
	return s
}

// ServiceID is the id our member registers its service under: "<scope>/<name>".
func (s *Store) ServiceID() string { return s.id.Scope + "/" + s.id.Name }

// updateService registers (running primary/replica/standby leader) or deregisters
// (stopped) our service when the role, state or URLs changed or the last attempt
// failed. Failures are logged, never fatal to TouchMember, as in Patroni.
func (s *Store) updateService(ctx context.Context, data cluster.MemberData) {
	in := serviceInput{role: strings.ReplaceAll(string(data.Role), "_", "-"), apiURL: data.APIURL, connURL: data.ConnURL, state: data.State}
	if in.role == "" || in.apiURL == "" || in.connURL == "" || in.state == "" {
		s.log.Warn("Could not register service: not enough params in member data")
		return
	}
	s.mu.Lock()
	st := s.svc
	s.mu.Unlock()
	if st.known && !st.failed && st.last == in {
		return
	}
	err := s.applyService(ctx, in)
	if err != nil {
		s.log.Error("Consul service registration failed", "service_id", s.ServiceID(), "error", err)
	}
	s.mu.Lock()
	s.svc = serviceState{last: in, known: true, failed: err != nil}
	s.mu.Unlock()
}

func (s *Store) applyService(ctx context.Context, in serviceInput) error {
	if in.state == "stopped" {
		s.log.Info("Deregister service", "service_id", s.ServiceID())
		return s.retry(ctx, func(ctx context.Context) error {
			return s.cli.Agent().ServiceDeregisterOpts(s.ServiceID(), (&api.QueryOptions{}).WithContext(ctx))
		})
	}
	switch in.role {
	case "master", "primary", "replica", "standby-leader":
	default:
		s.log.Warn("Could not register service: unknown role type", "role", in.role)
		return nil
	}
	if in.state != "running" {
		return nil
	}
	reg, err := s.serviceRegistration(in)
	if err != nil {
		return err
	}
	s.log.Info("Register service", "service", reg.Name, "service_id", reg.ID, "tags", reg.Tags)
	return s.retry(ctx, func(ctx context.Context) error {
		return s.cli.Agent().ServiceRegisterOpts(reg, api.ServiceRegisterOpts{}.WithContext(ctx))
	})
}

// serviceRegistration builds the agent registration of dcs.md §7.3.
func (s *Store) serviceRegistration(in serviceInput) (*api.AgentServiceRegistration, error) {
	conn, err := url.Parse(in.connURL)
	if err != nil {
		return nil, fmt.Errorf("conn_url %q: %w", in.connURL, err)
	}
	check, err := url.Parse(in.apiURL)
	if err != nil {
		return nil, fmt.Errorf("api_url %q: %w", in.apiURL, err)
	}
	check.Path, check.RawPath = "/"+in.role, ""
	port, _ := strconv.Atoi(conn.Port())
	tags := slices.Sorted(slices.Values(s.cfg.ServiceTags))
	tags = append(tags, in.role)
	switch in.role {
	case "master":
		tags = append(tags, "primary")
	case "primary":
		tags = append(tags, "master")
	}
	interval := s.cfg.ServiceCheckInterval
	if interval == "" {
		interval = "5s"
	}
	return &api.AgentServiceRegistration{
		ID: s.ServiceID(), Name: ServiceName(s.id.Scope), Tags: tags,
		Address: conn.Hostname(), Port: port, EnableTagOverride: true,
		Check: &api.AgentServiceCheck{
			HTTP: check.String(), Interval: interval, TLSServerName: s.cfg.ServiceCheckTLSServerName,
			DeregisterCriticalServiceAfter: pyFloat(s.sessionTTL().Seconds()*10) + "s",
		},
	}, nil
}
