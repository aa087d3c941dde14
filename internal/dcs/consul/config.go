package consul

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/patroni-go/patroni/internal/dcs"
)

// DefaultPort is the Consul agent's HTTP API port.
const DefaultPort = 8500

// Config is Patroni's consul section.
type Config struct {
	Host   string // host[:port] of the local agent, default 127.0.0.1:8500
	URL    string // http(s)://host:port; wins over host/port/scheme
	Port   int    // overrides the port in Host
	Scheme string // http (default) or https
	Token  string // ACL token, sent as X-Consul-Token
	// Verify is nil when unset (verify server certificates); false with no CACert turns
	// verification off, as in Patroni.
	Verify      *bool
	CACert      string
	Cert        string
	Key         string // empty: the key is inside Cert
	DC          string
	Consistency string   // default | consistent | stale
	Checks      []string // session health checks; empty: the session is bound to no check
	// Service registration (dcs.md §7.3).
	RegisterService           bool
	ServiceTags               []string
	ServiceCheckInterval      string // default "5s"
	ServiceCheckTLSServerName string
}

// Consistency modes of Consul reads.
const (
	ConsistencyDefault    = "default"
	ConsistencyConsistent = "consistent"
	ConsistencyStale      = "stale"
)

// ConfigFromMap reads the section as the YAML/environment layer decoded it. Lists
// (checks, service_tags) may also be comma-separated strings; booleans may be strings.
func ConfigFromMap(m map[string]any) (Config, error) {
	var c Config
	strs := map[string]*string{
		"host": &c.Host, "url": &c.URL, "scheme": &c.Scheme, "token": &c.Token, "cacert": &c.CACert,
		"cert": &c.Cert, "key": &c.Key, "dc": &c.DC, "consistency": &c.Consistency,
		"service_check_tls_server_name": &c.ServiceCheckTLSServerName,
	}
	lists := map[string]*[]string{"checks": &c.Checks, "service_tags": &c.ServiceTags}
	for k, v := range m {
		if v == nil {
			continue
		}
		var err error
		switch {
		case strs[k] != nil:
			s, ok := scalarString(v)
			if !ok {
				err = fmt.Errorf("%v is not a string", v)
			}
			*strs[k] = s
		case lists[k] != nil:
			*lists[k], err = parseList(v)
		case k == "service_check_interval":
			c.ServiceCheckInterval, err = parseInterval(v)
		case k == "port":
			c.Port, err = parsePort(v)
		case k == "verify":
			var b bool
			b, err = dcs.ParseBool(v)
			c.Verify = &b
		case k == "register_service":
			c.RegisterService, err = dcs.ParseBool(v)
		}
		if err != nil {
			return c, fmt.Errorf("consul.%s: %w", k, err)
		}
	}
	return c, c.validate()
}

func (c Config) validate() error {
	switch c.Consistency {
	case "", ConsistencyDefault, ConsistencyConsistent, ConsistencyStale:
	default:
		return fmt.Errorf("consul.consistency %q is none of default, consistent, stale", c.Consistency)
	}
	switch strings.ToLower(c.Scheme) {
	case "", "http", "https":
	default:
		return fmt.Errorf("consul.scheme %q is neither http nor https", c.Scheme)
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("consul.port %d is out of range", c.Port)
	}
	return nil
}

// address resolves url / host / port / scheme the way Patroni does: url wins; else
// host (default port 8500) with port overriding host's port.
func (c Config) address() (scheme, hostport string, err error) {
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil || u.Hostname() == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return "", "", fmt.Errorf("consul.url %q is not an http(s)://host:port URL", c.URL)
		}
		port := DefaultPort
		if p := u.Port(); p != "" {
			if port, err = parsePort(p); err != nil {
				return "", "", fmt.Errorf("consul.url %q: %w", c.URL, err)
			}
		}
		return u.Scheme, net.JoinHostPort(u.Hostname(), strconv.Itoa(port)), nil
	}
	scheme = strings.ToLower(c.Scheme)
	if scheme == "" {
		scheme = "http"
	}
	host, port, err := splitHostPort(c.Host)
	if err != nil {
		return "", "", err
	}
	if c.Port != 0 {
		port = c.Port
	}
	return scheme, net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// splitHostPort reads "host[:port]" (IPv6 in brackets), defaulting to 127.0.0.1:8500.
func splitHostPort(s string) (string, int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "127.0.0.1", DefaultPort, nil
	}
	host, portStr, ok := dcs.SplitHostPort(s, DefaultPort)
	if !ok || host == "" || strings.ContainsAny(host, "[]/ @") {
		return "", 0, fmt.Errorf("consul.host %q is not host:port", s)
	}
	port := DefaultPort // "host:" too keeps the default, as it always did
	if portStr != "" {
		var err error
		if port, err = parsePort(portStr); err != nil {
			return "", 0, fmt.Errorf("consul.host %q: %w", s, err)
		}
	}
	return host, port, nil
}

// apiConfig builds the consul/api client configuration.
func (c Config) apiConfig() (*api.Config, error) {
	scheme, hostport, err := c.address()
	if err != nil {
		return nil, err
	}
	cfg := api.DefaultConfig()
	cfg.Address, cfg.Scheme, cfg.Token, cfg.Datacenter = hostport, scheme, c.Token, c.DC
	if scheme == "https" {
		cfg.TLSConfig = api.TLSConfig{CAFile: c.CACert, CertFile: c.Cert, KeyFile: c.Key}
		if c.Cert != "" && c.Key == "" {
			cfg.TLSConfig.KeyFile = c.Cert // Patroni accepts the key inside the cert file
		}
		// Patroni verifies unless verify is false and no cacert is given.
		cfg.TLSConfig.InsecureSkipVerify = c.Verify != nil && !*c.Verify && c.CACert == ""
	}
	return cfg, nil
}

// scalarString is dcs.ScalarString that also takes a boolean: consul's string keys and
// list items have always read one as "true"/"false".
func scalarString(v any) (string, bool) {
	if b, ok := v.(bool); ok {
		return fmt.Sprint(b), true
	}
	return dcs.ScalarString(v)
}

// parseList reads checks and service_tags; an empty list stays non-nil.
func parseList(v any) ([]string, error) {
	out, err := dcs.SplitList(v, scalarString, "item %v is not a string")
	if err == nil && out == nil {
		out = []string{}
	}
	return out, err
}

// parseInterval accepts a Consul duration string ("5s") or a bare number of seconds.
func parseInterval(v any) (string, error) {
	switch t := v.(type) {
	case string:
		if _, err := time.ParseDuration(strings.TrimSpace(t)); err != nil {
			return "", fmt.Errorf("%q is not a duration such as 5s", t)
		}
		return strings.TrimSpace(t), nil
	case int, int64, float64:
		return fmt.Sprint(t) + "s", nil
	}
	return "", fmt.Errorf("%v is not a duration such as 5s", v)
}

func parsePort(v any) (int, error) {
	var n int
	switch t := v.(type) {
	case int:
		n = t
	case int64:
		n = int(t)
	case float64:
		n = int(t)
		if float64(n) != t {
			return 0, fmt.Errorf("port %v is not an integer", v)
		}
	case string:
		var err error
		if n, err = strconv.Atoi(strings.TrimSpace(t)); err != nil {
			return 0, fmt.Errorf("port %q is not a number", t)
		}
	default:
		return 0, fmt.Errorf("port %v is not a number", v)
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %d is out of range", n)
	}
	return n, nil
}
