package consul

import (
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/dcs"
)

func TestConfigFromMap(t *testing.T) {
	c, err := ConfigFromMap(map[string]any{
		"host": "10.0.0.1:8501", "port": "8502", "scheme": "https", "token": "secret", "verify": "false",
		"cacert": "/ca.pem", "cert": "/c.pem", "key": "/k.pem", "dc": "dc2", "consistency": "stale",
		"checks": "'serfHealth', 'other'", "register_service": "on", "service_tags": []any{"b", "a"},
		"service_check_interval": 10, "service_check_tls_server_name": "db.example", "unknown": 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Host: "10.0.0.1:8501", Port: 8502, Scheme: "https", Token: "secret", Verify: c.Verify,
		CACert: "/ca.pem", Cert: "/c.pem", Key: "/k.pem", DC: "dc2", Consistency: "stale",
		Checks: []string{"serfHealth", "other"}, RegisterService: true, ServiceTags: []string{"b", "a"},
		ServiceCheckInterval: "10s", ServiceCheckTLSServerName: "db.example"}
	if !reflect.DeepEqual(c, want) || c.Verify == nil || *c.Verify {
		t.Fatalf("config = %+v\nwant %+v (verify false)", c, want)
	}
	scheme, addr, err := c.address()
	if err != nil || scheme != "https" || addr != "10.0.0.1:8502" {
		t.Fatalf("address = %s %s %v; port overrides the host's port", scheme, addr, err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, m := range []map[string]any{
		{"consistency": "linearizable"},
		{"port": "x"},
		{"port": 70000},
		{"verify": "maybe"},
		{"checks": 5},
		{"register_service": []any{}},
		{"service_check_interval": "soon"},
		{"scheme": "ftp"},
		{"host": []any{"a"}},
	} {
		if _, err := ConfigFromMap(m); err == nil || !strings.Contains(err.Error(), "consul.") {
			t.Errorf("ConfigFromMap(%v) = %v; want an error naming the key", m, err)
		}
	}
	for _, c := range []Config{{URL: "ftp://x"}, {URL: "http://:80"}, {Host: "a:b:c"}, {Host: "h:99999"}} {
		if _, _, err := c.address(); err == nil {
			t.Errorf("address of %+v succeeded", c)
		}
	}
}

func TestAddress(t *testing.T) {
	for _, tc := range []struct {
		c            Config
		scheme, addr string
	}{
		{Config{}, "http", "127.0.0.1:8500"},
		{Config{Host: "consul.local"}, "http", "consul.local:8500"},
		{Config{Host: "[::1]:9500"}, "http", "[::1]:9500"},
		{Config{URL: "https://10.1.1.1", Host: "ignored:1"}, "https", "10.1.1.1:8500"},
		{Config{URL: "http://10.1.1.1:8600/x"}, "http", "10.1.1.1:8600"},
		{Config{Host: "h", Port: 1234}, "http", "h:1234"},
	} {
		scheme, addr, err := tc.c.address()
		if err != nil || scheme != tc.scheme || addr != tc.addr {
			t.Errorf("address(%+v) = %s %s %v; want %s %s", tc.c, scheme, addr, err, tc.scheme, tc.addr)
		}
	}
}

// TestTLSFlags: Patroni verifies the server unless verify is false and no cacert given;
// a cert without key means the key is in the cert file.
func TestTLSFlags(t *testing.T) {
	no := false
	for _, tc := range []struct {
		c        Config
		insecure bool
	}{
		{Config{Scheme: "https"}, false},
		{Config{Scheme: "https", Verify: &no}, true},
		{Config{Scheme: "https", Verify: &no, CACert: "/ca"}, false},
	} {
		ac, err := tc.c.apiConfig()
		if err != nil || ac.TLSConfig.InsecureSkipVerify != tc.insecure {
			t.Errorf("%+v: insecure = %v, %v; want %v", tc.c, ac.TLSConfig.InsecureSkipVerify, err, tc.insecure)
		}
	}
	ac, _ := Config{Scheme: "https", Cert: "/both.pem"}.apiConfig()
	if ac.TLSConfig.CertFile != "/both.pem" || ac.TLSConfig.KeyFile != "/both.pem" {
		t.Errorf("combined cert file: %+v", ac.TLSConfig)
	}
	if _, err := New(Config{Scheme: "https", CACert: "/does/not/exist"}, dcs.Identity{Scope: "s"}, dcs.Timing{}, nil); err == nil {
		t.Error("New with a missing cacert succeeded")
	}
}

func TestPyFloat(t *testing.T) {
	for sec, want := range map[float64]string{15: "15.0", 7.5: "7.5", 10: "10.0", 150: "150.0"} {
		if got := pyFloat(sec); got != want {
			t.Errorf("pyFloat(%v) = %q, want %q", sec, got, want)
		}
	}
}

// TestServiceRegistrationBody: the fields dcs.md §7.3 names, as Patroni fills them.
func TestServiceRegistrationBody(t *testing.T) {
	cfg := Config{ServiceTags: []string{"z", "a"}, ServiceCheckTLSServerName: "pg.example"}
	s, err := New(cfg, dcs.Identity{Scope: "batman", Name: "n1"}, dcs.Timing{TTL: 30 * time.Second}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := s.serviceRegistration(serviceInput{role: "master", apiURL: "https://10.0.0.5:8008/patroni",
		connURL: "postgres://10.0.0.5:5432/postgres", state: "running"})
	if err != nil {
		t.Fatal(err)
	}
	ch := reg.Check
	if reg.ID != "batman/n1" || reg.Name != "batman" || reg.Address != "10.0.0.5" || reg.Port != 5432 ||
		!slices.Equal(reg.Tags, []string{"a", "z", "master", "primary"}) || !reg.EnableTagOverride ||
		ch.HTTP != "https://10.0.0.5:8008/master" || ch.Interval != "5s" || ch.DeregisterCriticalServiceAfter != "150.0s" ||
		ch.TLSServerName != "pg.example" {
		t.Fatalf("registration = %+v, check %+v", reg, ch)
	}
}
