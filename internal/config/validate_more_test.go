package config

import (
	"net"
	"strconv"
	"strings"
	"testing"
)

func baseRaw(t *testing.T, extra string) map[string]any {
	t.Helper()
	raw, err := ParseYAMLMap([]byte(`
name: n1
scope: s
restapi: {listen: "127.0.0.1:1", connect_address: "10.0.0.1:8008"}
postgresql:
  listen: 127.0.0.1:1
  connect_address: 10.0.0.1:5432
  data_dir: /nonexistent/data
  authentication:
    superuser: {username: postgres}
    replication: {username: rep}
` + extra))
	must(t, err)
	return raw
}

var fakeTools = ValidateOptions{Dial: nothingListens, LookPath: func(string, string) bool { return true }}

func problemStrings(ps []Problem) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return strings.Join(out, "\n")
}

func TestValidateDCSRules(t *testing.T) {
	cases := map[string]string{
		"":                                    "no DCS section configured",
		"etcd: {host: '127.0.0.1:1'}\n":       "etcd: DCS type etcd (the etcd v2 API) is not supported",
		"raft: {}\nconsul: {url: x}\n":        "multiple DCS sections configured (consul, raft)",
		"exhibitor: {hosts: [a], port: 1}\n":  "exhibitor: DCS type exhibitor is not supported",
		"consul: {url: x}\netcd3: {url: y}\n": "multiple DCS sections configured (consul, etcd3)",
	}
	for extra, want := range cases {
		got := problemStrings(ValidateWith(baseRaw(t, extra), fakeTools))
		if !strings.Contains(got, want) {
			t.Errorf("%q: got %q, want %q", extra, got, want)
		}
	}
	if got := ValidateWith(baseRaw(t, "consul: {url: x}\n"), fakeTools); len(got) != 0 {
		t.Errorf("valid config: %s", problemStrings(got))
	}
}

func TestValidateRealNetwork(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	busy := ln.Addr().String()
	_, port, _ := net.SplitHostPort(busy)
	raw := baseRaw(t, "etcd3: {hosts: ['"+busy+"']}\n")
	raw["restapi"].(map[string]any)["listen"] = busy
	opts := ValidateOptions{LookPath: func(string, string) bool { return true }}
	got := problemStrings(ValidateWith(raw, opts))
	if got != "restapi.listen "+busy+" didn't pass validation: Port "+port+" is already in use." {
		t.Fatalf("got %q", got)
	}
	opts.IgnoreListenPort = true
	if got := ValidateWith(raw, opts); len(got) != 0 {
		t.Fatalf("with IgnoreListenPort: %s", problemStrings(got))
	}
	// A closed port on the DCS side is unreachable.
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	closed := ln2.Addr().String()
	ln2.Close()
	raw = baseRaw(t, "zookeeper: {hosts: '"+closed+"'}\n")
	if got := problemStrings(ValidateWith(raw, opts)); !strings.Contains(got, closed+" is not reachable") {
		t.Fatalf("got %q", got)
	}
}

func TestValidateStarListenAndName(t *testing.T) {
	var dialed []string
	opts := fakeTools
	opts.Dial = func(h string, p int) (bool, error) {
		dialed = append(dialed, net.JoinHostPort(h, strconv.Itoa(p)))
		return h == "::", nil
	}
	raw := baseRaw(t, "consul: {url: x}\n")
	raw["postgresql"].(map[string]any)["listen"] = "*:5432"
	raw["name"] = syncStrictPlaceholder
	got := problemStrings(ValidateWith(raw, opts))
	want := "name __patroni_strict_sync_replica_placeholder__ didn't pass validation: Node 'name' can't be set to '__patroni_strict_sync_replica_placeholder__'\n" +
		"postgresql.listen *:5432 didn't pass validation: Port 5432 is already in use."
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(strings.Join(dialed, " "), "0.0.0.0:5432") {
		t.Fatalf("dialed %v", dialed)
	}
}

func TestPostgresMajorVersion(t *testing.T) {
	for out, want := range map[string]string{
		"postgres (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)\n": "15",
		"postgres (PostgreSQL) 17":                             "17",
		"postgres (PostgreSQL) 9.6.24":                         "9.6",
		"postgres (PostgreSQL) 9.6":                            "9.6",
	} {
		if got, err := PostgresMajorVersion(out); got != want || err != nil {
			t.Errorf("%q → %q %v", out, got, err)
		}
	}
	if _, err := PostgresMajorVersion("garbage"); err == nil {
		t.Error("want an error")
	}
}
