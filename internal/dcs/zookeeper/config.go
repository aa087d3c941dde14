package zookeeper

import (
	"fmt"
	"net"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/go-zookeeper/zk"

	"github.com/patroni-go/patroni/internal/dcs"
)

// DefaultPort is ZooKeeper's client port, used when a host names none.
const DefaultPort = 2181

// Config is Patroni's zookeeper section.
type Config struct {
	// Hosts are "host:port" (port 2181 when absent). As in kazoo, the last item may end
	// in a chroot path ("zk3:2181/patroni"): every key then lives under it.
	Hosts       []string
	UseSSL      bool
	CACert      string
	Cert        string
	Key         string
	KeyPassword string
	Verify      *bool // nil means true: verify the server's certificate
	// SetACLs maps a principal to permissions (READ, WRITE, CREATE, DELETE, ADMIN, ALL).
	// A principal "scheme:credential" names its scheme (Patroni 4.x); otherwise x509.
	SetACLs map[string][]string
	// AuthData maps a scheme to the credential sent at connect (digest: "user:password").
	AuthData map[string]string
}

// ConfigFromMap reads the section as the YAML/env layer decoded it: a map of Patroni's
// keys. hosts may be a list or a comma-separated string.
func ConfigFromMap(m map[string]any) (Config, error) {
	var c Config
	strs := map[string]*string{"cacert": &c.CACert, "cert": &c.Cert, "key": &c.Key, "key_password": &c.KeyPassword}
	for k, v := range m {
		var err error
		switch {
		case strs[k] != nil:
			s, ok := dcs.ScalarString(v)
			if !ok {
				err = fmt.Errorf("%v is not a string", v)
			}
			*strs[k] = s
		case k == "hosts":
			c.Hosts, err = ParseHosts(v)
		case k == "use_ssl":
			c.UseSSL, err = dcs.ParseBool(v)
		case k == "verify":
			var b bool
			b, err = dcs.ParseBool(v)
			c.Verify = &b
		case k == "set_acls":
			c.SetACLs, err = stringListMap(v)
		case k == "auth_data":
			c.AuthData, err = stringMap(v)
		}
		if err != nil {
			return c, fmt.Errorf("zookeeper.%s: %w", k, err)
		}
	}
	return c, nil
}

// ParseHosts accepts a list of "host:port" or one comma-separated string (items may be
// quoted, as in PATRONI_ZOOKEEPER_HOSTS="'zk1:2181','zk2:2181'").
func ParseHosts(v any) ([]string, error) {
	return dcs.SplitList(v, dcs.ScalarString, "%v is not a host:port string")
}

// servers normalises Hosts to "host:port" and splits off a chroot, as kazoo does with
// its connection string.
func (c Config) servers() (servers []string, chroot string, err error) {
	joined := strings.Join(c.Hosts, ",")
	if i := strings.Index(joined, "/"); i >= 0 {
		joined, chroot = joined[:i], path.Clean(joined[i:])
		if chroot == "/" {
			chroot = ""
		}
	}
	for _, h := range strings.Split(joined, ",") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		addr, err := hostPort(h)
		if err != nil {
			return nil, "", err
		}
		servers = append(servers, addr)
	}
	if len(servers) == 0 {
		return nil, "", fmt.Errorf("zookeeper.hosts: no host configured")
	}
	return servers, chroot, nil
}

// hostPort adds the default port; bare IPv6 addresses are accepted with or without
// brackets.
func hostPort(h string) (string, error) {
	host, port, ok := dcs.SplitHostPort(h, DefaultPort)
	n, perr := strconv.Atoi(port)
	if !ok || host == "" || perr != nil || n <= 0 || n > 65535 {
		return "", fmt.Errorf("zookeeper.hosts: %q is not host[:port]", h)
	}
	return net.JoinHostPort(host, port), nil
}

var permissions = map[string]int32{
	"READ": zk.PermRead, "WRITE": zk.PermWrite, "CREATE": zk.PermCreate,
	"DELETE": zk.PermDelete, "ADMIN": zk.PermAdmin, "ALL": zk.PermAll,
}

// ParseACLs turns set_acls into the ACL every created znode gets. A principal without
// a scheme is an x509 distinguished name. Unknown permission words are an error (Patroni
// silently drops them, leaving a node nobody may write). nil means open to the world.
func ParseACLs(set map[string][]string) ([]zk.ACL, error) {
	if len(set) == 0 {
		return nil, nil
	}
	principals := make([]string, 0, len(set))
	for p := range set {
		principals = append(principals, p)
	}
	sort.Strings(principals)
	acls := make([]zk.ACL, 0, len(set))
	for _, principal := range principals {
		scheme, credential, ok := strings.Cut(principal, ":")
		if !ok {
			scheme, credential = "x509", principal
		}
		if scheme == "" || credential == "" {
			return nil, fmt.Errorf("zookeeper.set_acls: principal %q needs a scheme and a credential", principal)
		}
		var perms int32
		for _, p := range set[principal] {
			bit, known := permissions[strings.ToUpper(strings.TrimSpace(p))]
			if !known {
				return nil, fmt.Errorf("zookeeper.set_acls: %q: unknown permission %q (use READ, WRITE, CREATE, DELETE, ADMIN or ALL)", principal, p)
			}
			perms |= bit
		}
		acls = append(acls, zk.ACL{Perms: perms, Scheme: scheme, ID: credential})
	}
	return acls, nil
}

// stringMap reads {scheme: credential}.
func stringMap(v any) (map[string]string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		if sm, isSM := v.(map[string]string); isSM {
			return sm, nil
		}
		return nil, fmt.Errorf("%v is not a mapping", v)
	}
	out := make(map[string]string, len(m))
	for k, e := range m {
		s, ok := dcs.ScalarString(e)
		if !ok {
			return nil, fmt.Errorf("%s: %v is not a string", k, e)
		}
		out[k] = s
	}
	return out, nil
}

// stringListMap reads {principal: [permission, ...]}; a single string is one permission.
func stringListMap(v any) (map[string][]string, error) {
	if sm, ok := v.(map[string][]string); ok {
		return sm, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%v is not a mapping", v)
	}
	out := make(map[string][]string, len(m))
	for k, e := range m {
		switch t := e.(type) {
		case string:
			out[k] = []string{t}
		case []string:
			out[k] = t
		case []any:
			for _, p := range t {
				s, ok := p.(string)
				if !ok {
					return nil, fmt.Errorf("%s: %v is not a permission name", k, p)
				}
				out[k] = append(out[k], s)
			}
		default:
			return nil, fmt.Errorf("%s: %v is not a list of permissions", k, e)
		}
	}
	return out, nil
}
