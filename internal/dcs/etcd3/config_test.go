package etcd3

import (
	"reflect"
	"strings"
	"testing"

	"github.com/patroni-go/patroni/internal/dcs"
)

func TestHostPort(t *testing.T) {
	cases := map[string]string{
		"10.0.0.1":          "10.0.0.1:2379",
		"10.0.0.1:2380":     "10.0.0.1:2380",
		" etcd.example ":    "etcd.example:2379",
		"etcd.example:1234": "etcd.example:1234",
		"[::1]:2379":        "[::1]:2379",
		"[::1]":             "[::1]:2379",
		"::1":               "[::1]:2379",
	}
	for in, want := range cases {
		got, err := HostPort(in)
		if err != nil || got != want {
			t.Errorf("HostPort(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "host:", "host:0", "host:99999", "host:abc", ":2379", "a b:1", "http://x:1"} {
		if got, err := HostPort(bad); err == nil {
			t.Errorf("HostPort(%q) = %q, want an error", bad, got)
		} else if bad != "" && !strings.Contains(err.Error(), bad) {
			t.Errorf("HostPort(%q) error %q does not name the host", bad, err)
		}
	}
}

func TestParseHosts(t *testing.T) {
	cases := []struct {
		in   any
		want []string
	}{
		{"10.0.0.1:2379,10.0.0.2:2379", []string{"10.0.0.1:2379", "10.0.0.2:2379"}},
		{"'10.0.0.1:2379', '10.0.0.2:2379'", []string{"10.0.0.1:2379", "10.0.0.2:2379"}},
		{[]any{"a:1", "b"}, []string{"a:1", "b"}},
		{[]string{"a:1", " "}, []string{"a:1"}},
		{nil, nil},
	}
	for _, c := range cases {
		got, err := ParseHosts(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseHosts(%#v) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []any{42, map[string]any{}, []any{"a", []any{}}} {
		if _, err := ParseHosts(bad); err == nil {
			t.Errorf("ParseHosts(%#v) accepted", bad)
		}
	}
}

func TestEndpoints(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want endpoints
	}{
		{"host", Config{Host: "127.0.0.1"}, endpoints{urls: []string{"http://127.0.0.1:2379"}, discover: true}},
		{"hosts win over host", Config{Host: "x", Hosts: []string{"a:1", "b"}},
			endpoints{urls: []string{"http://a:1", "http://b:2379"}, discover: true}},
		{"https", Config{Hosts: []string{"a"}, Protocol: "HTTPS", UseProxies: true},
			endpoints{urls: []string{"https://a:2379"}, tls: true}},
		{"url with credentials", Config{URL: "https://u:p@e:2400", Host: "ignored"},
			endpoints{urls: []string{"https://e:2400"}, tls: true, username: "u", password: "p", discover: true}},
		{"proxy implies use_proxies", Config{Proxy: "http://proxy"},
			endpoints{urls: []string{"http://proxy:2379"}}},
	}
	for _, c := range cases {
		got, err := c.cfg.endpoints()
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: endpoints() = %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
	bad := map[string]Config{
		"nothing":      {},
		"protocol":     {Host: "a", Protocol: "grpc"},
		"url scheme":   {URL: "ftp://a:1"},
		"url no host":  {URL: "http://"},
		"bad host":     {Hosts: []string{"a:1", "b:x"}},
		"missing cert": {Host: "a", Protocol: "https", CACert: "/nonexistent/ca.pem"},
	}
	for name, cfg := range bad {
		ep, err := cfg.endpoints()
		if err == nil {
			_, err = cfg.tlsConfig(ep.tls)
		}
		if err == nil {
			t.Errorf("%s: %+v accepted", name, cfg)
		}
	}
}

func TestConfigFromMap(t *testing.T) {
	c, err := ConfigFromMap(map[string]any{
		"hosts": "a:1,b:2", "username": "root", "password": 1234, "use_proxies": "true",
		"protocol": "https", "cacert": "/ca", "cert": "/c", "key": "/k", "unknown": []any{},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Hosts: []string{"a:1", "b:2"}, Username: "root", Password: "1234", UseProxies: true,
		Protocol: "https", CACert: "/ca", Cert: "/c", Key: "/k"}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("ConfigFromMap = %+v, want %+v", c, want)
	}
	for _, bad := range []map[string]any{{"host": []any{}}, {"hosts": 1}, {"use_proxies": "maybe"}} {
		if _, err := ConfigFromMap(bad); err == nil {
			t.Errorf("ConfigFromMap(%v) accepted", bad)
		}
	}
}

func TestRegisteredOpener(t *testing.T) {
	st, err := dcs.Open(map[string]any{"scope": "x", "etcd3": map[string]any{"hosts": "127.0.0.1:1"}},
		dcs.OpenOptions{Identity: dcs.Identity{Scope: "x", Name: "a"}})
	if err != nil {
		t.Fatalf("dcs.Open(etcd3): %v", err)
	}
	_ = st.Close()
	if _, err := dcs.Open(map[string]any{"etcd": map[string]any{"host": "a"}}, dcs.OpenOptions{}); err == nil ||
		!strings.Contains(err.Error(), "etcd3") {
		t.Fatalf("dcs.Open(etcd v2) = %v, want an error pointing to etcd3", err)
	}
	if _, err := dcs.Open(map[string]any{"etcd3": map[string]any{}}, dcs.OpenOptions{Identity: dcs.Identity{Scope: "x"}}); err == nil {
		t.Fatal("dcs.Open accepted an etcd3 section without hosts")
	}
	if _, err := dcs.Open(map[string]any{"scope": "x"}, dcs.OpenOptions{}); err == nil {
		t.Fatal("dcs.Open without a DCS section succeeded")
	}
}
