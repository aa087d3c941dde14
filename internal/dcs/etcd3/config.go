package etcd3

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"go.etcd.io/etcd/client/pkg/v3/srv"

	"github.com/patroni-go/patroni/internal/dcs"
)

// DefaultPort is etcd's client port, used when a host names none.
const DefaultPort = 2379

// Config is Patroni's etcd3 (or etcd) section.
type Config struct {
	Host       string   `yaml:"host"`
	Hosts      []string `yaml:"hosts"` // ParseHosts turns Patroni's comma string into a list
	URL        string   `yaml:"url"`
	Proxy      string   `yaml:"proxy"`
	SRV        string   `yaml:"srv"`
	SRVSuffix  string   `yaml:"srv_suffix"`
	UseProxies bool     `yaml:"use_proxies"`
	Protocol   string   `yaml:"protocol"`
	Username   string   `yaml:"username"`
	Password   string   `yaml:"password"`
	CACert     string   `yaml:"cacert"`
	Cert       string   `yaml:"cert"`
	Key        string   `yaml:"key"`
	// Linearizable makes Load read the latest committed state (patronictl); the daemon
	// reads serializable, as Patroni does, so a lagging etcd member still answers.
	Linearizable bool `yaml:"-"`
}

// ConfigFromMap reads the section as the YAML/env layer decoded it: a map of Patroni's
// keys. hosts may be a list or a comma-separated string.
func ConfigFromMap(m map[string]any) (Config, error) {
	var c Config
	strs := map[string]*string{
		"host": &c.Host, "url": &c.URL, "proxy": &c.Proxy, "srv": &c.SRV, "srv_suffix": &c.SRVSuffix,
		"discovery_srv": &c.SRV, "srv_domain": &c.SRV, "protocol": &c.Protocol, "username": &c.Username,
		"password": &c.Password, "cacert": &c.CACert, "cert": &c.Cert, "key": &c.Key,
	}
	for k, v := range m {
		switch {
		case strs[k] != nil:
			s, ok := dcs.ScalarString(v)
			if !ok {
				return c, fmt.Errorf("etcd3.%s: %v is not a string", k, v)
			}
			*strs[k] = s
		case k == "hosts":
			hosts, err := ParseHosts(v)
			if err != nil {
				return c, fmt.Errorf("etcd3.hosts: %w", err)
			}
			c.Hosts = hosts
		case k == "use_proxies":
			b, err := parseBool(v)
			if err != nil {
				return c, fmt.Errorf("etcd3.use_proxies: %w", err)
			}
			c.UseProxies = b
		}
	}
	return c, nil
}

// ParseHosts accepts a list of "host:port" or one comma-separated string (items may be
// quoted, as in PATRONI_ETCD3_HOSTS="'10.0.0.1:2379','10.0.0.2:2379'").
func ParseHosts(v any) ([]string, error) {
	return dcs.SplitList(v, dcs.ScalarString, "%v is not a host:port string")
}

// parseBool is dcs.ParseBool, except that etcd3 has always read an empty string as
// false and refused the integers 0 and 1.
func parseBool(v any) (bool, error) {
	switch t := v.(type) {
	case string:
		if strings.TrimSpace(t) == "" {
			return false, nil
		}
	case int:
		return false, fmt.Errorf("%v is not a boolean", v)
	}
	return dcs.ParseBool(v)
}

// endpoints resolves the configured addresses into URLs for the client, in Patroni's
// order of precedence: proxy, url, srv, hosts, host.
type endpoints struct {
	urls     []string
	tls      bool
	username string
	password string
	discover bool // refresh the member list from the cluster
}

func (c Config) endpoints() (endpoints, error) {
	proto := strings.ToLower(c.Protocol)
	if proto == "" {
		proto = "http"
	}
	if proto != "http" && proto != "https" {
		return endpoints{}, fmt.Errorf("etcd3.protocol %q is neither http nor https", c.Protocol)
	}
	ep := endpoints{discover: !c.UseProxies}
	switch {
	case c.Proxy != "" || c.URL != "":
		raw := c.URL
		if c.Proxy != "" {
			raw, ep.discover = c.Proxy, false
		}
		u, err := parseURL(raw)
		if err != nil {
			return ep, err
		}
		ep.urls = []string{u.Scheme + "://" + u.Host}
		if u.User != nil {
			ep.username = u.User.Username()
			ep.password, _ = u.User.Password()
		}
		proto = u.Scheme
	case c.SRV != "":
		found, err := srv.GetClient("etcd-client", c.SRV, c.SRVSuffix)
		if err != nil {
			return ep, fmt.Errorf("etcd3.srv %q: %w", c.SRV, err)
		}
		ep.urls = found.Endpoints
		ep.tls = len(found.Endpoints) > 0 && strings.HasPrefix(found.Endpoints[0], "https://")
		return ep, nil
	default:
		hosts := c.Hosts
		if len(hosts) == 0 && c.Host != "" {
			hosts = []string{c.Host}
		}
		if len(hosts) == 0 {
			return ep, errors.New("etcd3: none of host, hosts, url, proxy or srv is set")
		}
		for _, h := range hosts {
			hp, err := HostPort(h)
			if err != nil {
				return ep, err
			}
			ep.urls = append(ep.urls, proto+"://"+hp)
		}
	}
	ep.tls = proto == "https"
	return ep, nil
}

func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("etcd3: %q is not an http(s)://host:port URL", raw)
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(DefaultPort))
	}
	return u, nil
}

// HostPort normalises "host[:port]" (IPv6 in brackets) to host:port, defaulting the port
// to 2379.
func HostPort(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("etcd3: empty host")
	}
	host, port, ok := dcs.SplitHostPort(s, DefaultPort)
	if !ok || strings.ContainsAny(host, "[]/ @") {
		return "", fmt.Errorf("etcd3: host %q is not host:port", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("etcd3: host %q has an invalid port", s)
	}
	if host == "" {
		return "", fmt.Errorf("etcd3: host %q names no host", s)
	}
	return net.JoinHostPort(host, port), nil
}

// tlsConfig builds the client TLS settings from cacert/cert/key; nil for plain http
// (as in Patroni, the files only matter with protocol https or an https URL).
func (c Config) tlsConfig(useTLS bool) (*tls.Config, error) {
	if !useTLS {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CACert != "" {
		pem, err := os.ReadFile(c.CACert)
		if err != nil {
			return nil, fmt.Errorf("etcd3.cacert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("etcd3.cacert: %s holds no PEM certificate", c.CACert)
		}
		cfg.RootCAs = pool
	}
	if c.Cert != "" {
		key := c.Key
		if key == "" {
			key = c.Cert // Patroni allows the key inside the cert file
		}
		pair, err := tls.LoadX509KeyPair(c.Cert, key)
		if err != nil {
			return nil, fmt.Errorf("etcd3.cert/key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}
