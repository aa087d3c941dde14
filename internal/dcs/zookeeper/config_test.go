package zookeeper

import (
	"reflect"
	"strings"
	"testing"

	"github.com/go-zookeeper/zk"

	"github.com/patroni-go/patroni/internal/dcs"
)

func TestParseHosts(t *testing.T) {
	cases := []struct {
		in   any
		want []string
	}{
		{nil, nil},
		{"zk1:2181,zk2:2182", []string{"zk1:2181", "zk2:2182"}},
		{" zk1 , 'zk2:2182' ,\"zk3\",", []string{"zk1", "zk2:2182", "zk3"}},
		{[]any{"zk1:2181", "zk2"}, []string{"zk1:2181", "zk2"}},
		{[]string{"zk1"}, []string{"zk1"}},
	}
	for _, c := range cases {
		got, err := ParseHosts(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseHosts(%#v) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []any{42, []any{"zk1", map[string]any{}}} {
		if _, err := ParseHosts(bad); err == nil {
			t.Errorf("ParseHosts(%#v) accepted", bad)
		}
	}
}

func TestServers(t *testing.T) {
	cases := []struct {
		hosts   []string
		servers []string
		chroot  string
	}{
		{[]string{"zk1", "zk2:2182"}, []string{"zk1:2181", "zk2:2182"}, ""},
		{[]string{"10.0.0.1:2181", "[::1]:2182", "::1", "[fe80::1]"}, []string{"10.0.0.1:2181", "[::1]:2182", "[::1]:2181", "[fe80::1]:2181"}, ""},
		{[]string{"zk1:2181", "zk2:2181/patroni/"}, []string{"zk1:2181", "zk2:2181"}, "/patroni"},
		{[]string{"zk1:2181,zk2/a//b"}, []string{"zk1:2181", "zk2:2181"}, "/a/b"},
		{[]string{"zk1/"}, []string{"zk1:2181"}, ""},
	}
	for _, c := range cases {
		servers, chroot, err := Config{Hosts: c.hosts}.servers()
		if err != nil || !reflect.DeepEqual(servers, c.servers) || chroot != c.chroot {
			t.Errorf("servers(%q) = %v %q %v; want %v %q", c.hosts, servers, chroot, err, c.servers, c.chroot)
		}
	}
	for _, bad := range [][]string{nil, {""}, {"zk1:notaport"}, {"zk1:0"}, {"zk1:70000"}, {":2181"}, {"a:b:c"}} {
		if s, _, err := (Config{Hosts: bad}).servers(); err == nil {
			t.Errorf("servers(%q) accepted: %v", bad, s)
		}
	}
}

func TestParseACLs(t *testing.T) {
	acls, err := ParseACLs(map[string][]string{
		"CN=zookeeper-admin":       {"all"},
		"CN=patroni,OU=db":         {"READ", "write", " Create ", "DELETE"},
		"digest:user:c2VjcmV0aGFz": {"READ", "ADMIN"},
		"sasl:patroni":             {},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []zk.ACL{
		{Perms: zk.PermAll, Scheme: "x509", ID: "CN=patroni,OU=db"}, // sorted by principal
		{Perms: zk.PermAll, Scheme: "x509", ID: "CN=zookeeper-admin"},
		{Perms: zk.PermRead | zk.PermAdmin, Scheme: "digest", ID: "user:c2VjcmV0aGFz"},
		{Perms: 0, Scheme: "sasl", ID: "patroni"},
	}
	want[0].Perms = zk.PermRead | zk.PermWrite | zk.PermCreate | zk.PermDelete
	if !reflect.DeepEqual(acls, want) {
		t.Fatalf("ParseACLs = %+v\nwant %+v", acls, want)
	}
	if acls, err := ParseACLs(nil); acls != nil || err != nil {
		t.Fatalf("ParseACLs(nil) = %v, %v", acls, err)
	}
	for _, bad := range []map[string][]string{
		{"CN=x": {"READ", "EXECUTE"}},
		{":cred": {"READ"}},
		{"digest:": {"READ"}},
	} {
		if _, err := ParseACLs(bad); err == nil {
			t.Errorf("ParseACLs(%v) accepted", bad)
		}
	}
}

func TestConfigFromMap(t *testing.T) {
	c, err := ConfigFromMap(map[string]any{
		"hosts": "zk1:2181,zk2:2181", "use_ssl": "on", "verify": false,
		"cacert": "/ca.pem", "cert": "/c.pem", "key": "/k.pem", "key_password": 1234,
		"set_acls":  map[string]any{"CN=p": []any{"ALL"}, "digest:u:h": "READ"},
		"auth_data": map[string]any{"digest": "u:secret"},
		"unknown":   "ignored",
	})
	if err != nil {
		t.Fatal(err)
	}
	f := false
	want := Config{
		Hosts: []string{"zk1:2181", "zk2:2181"}, UseSSL: true, Verify: &f,
		CACert: "/ca.pem", Cert: "/c.pem", Key: "/k.pem", KeyPassword: "1234",
		SetACLs:  map[string][]string{"CN=p": {"ALL"}, "digest:u:h": {"READ"}},
		AuthData: map[string]string{"digest": "u:secret"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("ConfigFromMap = %+v\nwant %+v", c, want)
	}
	for key, bad := range map[string]any{
		"hosts": 3, "use_ssl": "maybe", "verify": 2, "cacert": []any{}, "set_acls": "x",
		"auth_data": []any{"digest"},
	} {
		_, err := ConfigFromMap(map[string]any{key: bad})
		if err == nil || !strings.Contains(err.Error(), "zookeeper."+key) {
			t.Errorf("ConfigFromMap(%s: %v) error = %v, want one naming zookeeper.%s", key, bad, err, key)
		}
	}
}

func TestTLSConfigErrors(t *testing.T) {
	if cfg, err := (Config{}).tlsConfig(); cfg != nil || err != nil {
		t.Fatalf("tlsConfig without use_ssl = %v, %v", cfg, err)
	}
	// As kazoo: a cert without a key (or the reverse) is ignored.
	if cfg, err := (Config{UseSSL: true, Key: "/nowhere"}).tlsConfig(); err != nil || len(cfg.Certificates) != 0 {
		t.Fatalf("tlsConfig with a key but no cert = %v, %v", cfg, err)
	}
	dir := t.TempDir()
	for name, c := range map[string]Config{
		"missing cacert": {UseSSL: true, CACert: dir + "/nope.pem"},
		"missing cert":   {UseSSL: true, Cert: dir + "/c.pem", Key: dir + "/k.pem"},
	} {
		if _, err := c.tlsConfig(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRegisteredOpener(t *testing.T) {
	s, err := dcs.Open(map[string]any{"zookeeper": map[string]any{"hosts": []any{"127.0.0.1:1"}}},
		dcs.OpenOptions{Identity: dcs.Identity{Scope: "batman", Name: "n1"}, Timing: dcs.DefaultTiming})
	if err != nil {
		t.Fatalf("the zookeeper section must open this backend: %v", err)
	}
	s.Close()
}
