package api

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/patroni-go/patroni/internal/api/tlsutil"
	"github.com/patroni-go/patroni/internal/cluster"
)

func buildRuntime(cfg Config) (*runtimeConfig, error) {
	rc := &runtimeConfig{Config: cfg, tls: cfg.CertFile != ""}
	if cfg.Username != "" || cfg.Password != "" {
		rc.authKey = []byte(base64.StdEncoding.EncodeToString([]byte(cfg.Username + ":" + cfg.Password)))
	}
	switch strings.ToLower(cfg.VerifyClient) {
	case "", "none", "optional", "required":
		rc.VerifyClient = strings.ToLower(cfg.VerifyClient)
	default:
		return nil, fmt.Errorf("restapi.verify_client: %q is not one of none, optional, required", cfg.VerifyClient)
	}
	for _, entry := range cfg.Allowlist {
		nets, err := allowlistEntry(entry)
		if err != nil {
			return nil, err
		}
		rc.allow = append(rc.allow, nets...)
	}
	merged := map[string]string{}
	for k, v := range cfg.HTTPExtraHeaders {
		merged[k] = v
	}
	if rc.tls {
		for k, v := range cfg.HTTPSExtraHeaders {
			merged[k] = v
		}
	}
	for k, v := range merged {
		rc.headers = append(rc.headers, [2]string{k, v})
	}
	sort.Slice(rc.headers, func(i, j int) bool { return rc.headers[i][0] < rc.headers[j][0] })
	switch strings.ToLower(cfg.ServerTokens) {
	case "productonly":
		rc.serverName = "Patroni"
	case "minimal":
		rc.serverName = "Patroni/" + patroniVersion
	}
	return rc, nil
}

// patroniVersion is what Server: minimal reports when no snapshot says otherwise.
const patroniVersion = "4.1.4"

// allowlistEntry: CIDR entries as networks, anything else resolved to its addresses.
func allowlistEntry(entry string) ([]*net.IPNet, error) {
	if strings.Contains(entry, "/") {
		_, n, err := net.ParseCIDR(entry)
		if err != nil {
			return nil, fmt.Errorf("restapi.allowlist: invalid network %q: %w", entry, err)
		}
		return []*net.IPNet{n}, nil
	}
	ips := resolve(entry)
	if len(ips) == 0 {
		return nil, nil // Patroni logs and skips names that do not resolve
	}
	return hostNets(ips), nil
}

func resolve(host string) []net.IP {
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		return []net.IP{ip}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil
	}
	out := make([]net.IP, len(addrs))
	for i, a := range addrs {
		out[i] = a.IP
	}
	return out
}

func hostNets(ips []net.IP) []*net.IPNet {
	out := make([]*net.IPNet, 0, len(ips))
	for _, ip := range ips {
		bits := 128
		if v4 := ip.To4(); v4 != nil {
			ip, bits = v4, 32
		}
		out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
	}
	return out
}

func buildTLS(cfg Config) (*tls.Config, error) {
	cert, err := tlsutil.LoadKeyPair(cfg.CertFile, cfg.KeyFile, cfg.KeyFilePassword)
	if err != nil {
		return nil, fmt.Errorf("restapi TLS: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		if tc.ClientCAs, err = tlsutil.LoadCAPool(cfg.CAFile); err != nil {
			return nil, fmt.Errorf("restapi TLS: %w", err)
		}
	}
	switch strings.ToLower(cfg.VerifyClient) {
	case "optional":
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	case "required":
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		tc.ClientAuth = tls.NoClientCert
	}
	return tc, nil
}

// memberIPCache resolves the members' api_url hosts once per cluster view.
type memberIPCache struct {
	mu   sync.Mutex
	view *cluster.View
	nets []*net.IPNet
}

func (c *memberIPCache) get(view *cluster.View) []*net.IPNet {
	if view == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.view == view {
		return c.nets
	}
	var nets []*net.IPNet
	for _, m := range view.Members {
		if m.APIURL == "" {
			continue
		}
		u, err := url.Parse(m.APIURL)
		if err != nil || u.Hostname() == "" {
			continue
		}
		nets = append(nets, hostNets(resolve(u.Hostname()))...)
	}
	c.view, c.nets = view, nets
	return nets
}

// checkAccess guards the unsafe endpoints: allowlist, client certificate, Basic auth,
// in that order. It writes the refusal and returns false.
func (s *Server) checkAccess(w http.ResponseWriter, r *http.Request, includeMembers bool) bool {
	rc := s.cfg.Load()
	includeMembers = includeMembers && rc.AllowlistIncludeMembers
	if len(rc.allow) > 0 || includeMembers {
		nets := rc.allow
		if includeMembers {
			snap := s.opts.Publisher.Load()
			nets = append(append([]*net.IPNet(nil), nets...), s.members.get(snap.FreshView(s.opts.Now()))...)
		}
		if !ipAllowed(r.RemoteAddr, nets) {
			s.text(w, 403, "Access is denied")
			return false
		}
	}
	if rc.tls && (rc.VerifyClient == "optional" || rc.VerifyClient == "required") &&
		(r.TLS == nil || len(r.TLS.PeerCertificates) == 0) {
		s.text(w, 403, "client certificate required")
		return false
	}
	if rc.authKey == nil {
		return true
	}
	h, present := r.Header["Authorization"]
	if !present {
		w.Header().Set("WWW-Authenticate", `Basic realm="Patroni"`)
		s.text(w, 401, "no auth header received")
		return false
	}
	token, ok := strings.CutPrefix(h[0], "Basic ")
	if !ok || subtle.ConstantTimeCompare([]byte(token), rc.authKey) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="Patroni"`)
		s.text(w, 401, "not authenticated")
		return false
	}
	return true
}

func ipAllowed(remote string, nets []*net.IPNet) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}
