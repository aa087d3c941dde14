package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// patroniEnvCase's expectation was produced by real Patroni 4.1.4
// (Config(None).local_configuration with these variables), plus the
// deprecated bootstrap.users of Patroni 3.x which we still honour.
var patroniEnvCase = []string{
	"PATH=/usr/bin", "PATRONI_NAME=n1", "PATRONI_SCOPE=s", "PATRONI_NAMESPACE=/ns/", "PATRONI_LOGLEVEL=DEBUG",
	"PATRONI_LOG_FORMAT=message,{levelname: level}", "PATRONI_LOG_STATIC_FIELDS=app: patroni",
	"PATRONI_LOG_FILE_NUM=5", "PATRONI_LOG_MAX_QUEUE_SIZE=bad", "PATRONI_RESTAPI_LISTEN=0.0.0.0:8008",
	"PATRONI_RESTAPI_CONNECT_ADDRESS=10.0.0.1:8008", "PATRONI_RESTAPI_USERNAME=u", "PATRONI_RESTAPI_PASSWORD=p",
	"PATRONI_RESTAPI_ALLOWLIST=10.0.0.0/8, 127.0.0.1", "PATRONI_RESTAPI_ALLOWLIST_INCLUDE_MEMBERS=on",
	"PATRONI_RESTAPI_REQUEST_QUEUE_SIZE=10", "PATRONI_RESTAPI_HTTP_EXTRA_HEADERS=X-A: b", "PATRONI_CTL_INSECURE=maybe",
	"PATRONI_POSTGRESQL_LISTEN=*:5432", "PATRONI_POSTGRESQL_DATA_DIR=/d", "PATRONI_POSTGRESQL_BIN_PG_CTL=pgctl",
	"PATRONI_REPLICATION_USERNAME=rep", "PATRONI_REPLICATION_SSLMODE=require", "PATRONI_SUPERUSER_PASSWORD=sp",
	"PATRONI_ETCD3_HOSTS='10.0.0.1:2379','10.0.0.2:2379'", "PATRONI_ETCD3_USERNAME=eu", "PATRONI_ETCD3_PASSWORD=ep",
	"PATRONI_ETCD_USERNAME=x", "PATRONI_CONSUL_PORT=8500", "PATRONI_CONSUL_VERIFY=false",
	"PATRONI_CONSUL_REGISTER_SERVICE=junk", "PATRONI_CONSUL_CHECKS=a,b", "PATRONI_ZOOKEEPER_SET_ACLS=admin: [CREATE]",
	"PATRONI_ZOOKEEPER_USE_SSL=true", "PATRONI_CITUS_GROUP=2", "PATRONI_CITUS_DATABASE=cdb", "PATRONI_CITUS_HOST=h",
	"PATRONI_KUBERNETES_LABELS=", "PATRONI_FOO_HOST=", "PATRONI_UNRELATED=1",
	"PATRONI_ADMIN_PASSWORD=ap", "PATRONI_ADMIN_OPTIONS=createdb",
}

const patroniEnvWant = `{"bootstrap": {"users": {"ADMIN": {"options": ["createdb"], "password": "ap"}}}, "citus": {"database": "cdb", "group": 2}, "consul": {"checks": ["a", "b"], "port": 8500, "verify": false}, "ctl": {}, "etcd3": {"hosts": ["10.0.0.1:2379", "10.0.0.2:2379"], "password": "ep", "username": "eu"}, "foo": {"host": ""}, "kubernetes": {"labels": {}}, "log": {"file_num": 5, "format": ["message", {"levelname": "level"}], "level": "DEBUG", "static_fields": {"app": "patroni"}}, "name": "n1", "namespace": "/ns/", "postgresql": {"authentication": {"replication": {"sslmode": "require", "username": "rep"}, "superuser": {"password": "sp"}}, "bin_name": {"pg_ctl": "pgctl"}, "data_dir": "/d", "listen": "*:5432"}, "restapi": {"allowlist": ["10.0.0.0/8", "127.0.0.1"], "allowlist_include_members": true, "authentication": {"password": "p", "username": "u"}, "connect_address": "10.0.0.1:8008", "http_extra_headers": {"X-A": "b"}, "listen": "0.0.0.0:8008", "request_queue_size": 10}, "scope": "s", "zookeeper": {"set_acls": {"admin": ["CREATE"]}, "use_ssl": "true"}}`

func jsonNorm(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	var out any
	must(t, json.Unmarshal(b, &out))
	return out
}

func TestEnvConfigMatchesPatroni(t *testing.T) {
	raw, file, consumed, err := LoadRaw("", patroniEnvCase)
	must(t, err)
	if file != "" {
		t.Fatalf("file = %q", file)
	}
	var want any
	must(t, json.Unmarshal([]byte(patroniEnvWant), &want))
	if got := jsonNorm(t, raw); !reflect.DeepEqual(got, want) {
		gb, _ := json.Marshal(got)
		t.Fatalf("got  %s\nwant %s", gb, patroniEnvWant)
	}
	// Patroni leaves these in the environment.
	for _, left := range []string{"PATRONI_ETCD_USERNAME", "PATRONI_UNRELATED", "PATH"} {
		for _, c := range consumed {
			if c == left {
				t.Errorf("%s consumed", left)
			}
		}
	}
	if !contains(consumed, "PATRONI_LOGLEVEL") || !contains(consumed, "PATRONI_CITUS_HOST") {
		t.Errorf("consumed = %v", consumed)
	}
}

func TestEnvQuirks(t *testing.T) {
	cases := []struct {
		name string
		env  []string
		want string // JSON of the env-built configuration
	}{
		{"legacy log vars lose to new ones", []string{"PATRONI_LOGLEVEL=DEBUG", "PATRONI_LOG_LEVEL=WARNING",
			"PATRONI_LOGFORMAT=%(message)s", "PATRONI_LOG_DATEFMT=%H"},
			`{"log":{"dateformat":"%H","format":"%(message)s","level":"WARNING"}}`},
		{"etcd auth only with another etcd var", []string{"PATRONI_ETCD3_USERNAME=u", "PATRONI_NAME=n"},
			`{"bootstrap":{"users":{"ETCD3":{"password":"p"}}},"name":"n"}`},
		{"generic bools and ints", []string{"PATRONI_ETCD3_USE_PROXIES=yes", "PATRONI_ETCD3_PORT=x",
			"PATRONI_ETCD3_HOST=h:1", "PATRONI_ZOOKEEPER_VERIFY=0"},
			`{"etcd3":{"host":"h:1","use_proxies":true},"zookeeper":{"verify":false}}`},
		{"yaml list forms", []string{"PATRONI_ZOOKEEPER_HOSTS=- a:1\n- b:2", "PATRONI_CONSUL_SERVICE_TAGS=[x, y]"},
			`{"consul":{"service_tags":["x","y"]},"zookeeper":{"hosts":["a:1","b:2"]}}`},
		{"empty and invalid values ignored", []string{"PATRONI_NAME=", "PATRONI_RESTAPI_REQUEST_QUEUE_SIZE=lots",
			"PATRONI_LOG_LOGGERS=[", "PATRONI_SCOPE=s"},
			`{"log":{},"restapi":{},"scope":"s"}`},
		{"rewind user with ssl keys", []string{"PATRONI_REWIND_USERNAME=rw", "PATRONI_REWIND_SSLROOTCERT=/ca",
			"PATRONI_SUPERUSER_CHANNEL_BINDING=require"},
			`{"postgresql":{"authentication":{"rewind":{"sslrootcert":"/ca","username":"rw"},"superuser":{"channel_binding":"require"}}}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if strings.Contains(c.name, "etcd auth") {
				c.env = append(c.env, "PATRONI_ETCD3_PASSWORD=p")
			}
			got := envConfig(newEnvReader(c.env))
			var want any
			must(t, json.Unmarshal([]byte(c.want), &want))
			if g := jsonNorm(t, got); !reflect.DeepEqual(g, want) {
				gb, _ := json.Marshal(g)
				t.Fatalf("got  %s\nwant %s", gb, c.want)
			}
		})
	}
}
