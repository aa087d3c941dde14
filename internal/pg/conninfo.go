package pg

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// ConnParams are libpq connection keywords (host, port, user, dbname...).
type ConnParams map[string]string

// dsnKeys is the order Patroni writes connection keywords in.
var dsnKeys = []string{"dbname", "user", "passfile", "password", "host", "port",
	"sslmode", "sslcompression", "sslcert", "sslkey", "sslpassword", "sslrootcert", "sslcrl",
	"sslcrldir", "application_name", "krbsrvname", "gssencmode", "channel_binding",
	"target_session_attrs", "sslnegotiation"}

func escapeDSNValue(v string) string {
	var b strings.Builder
	for _, r := range v {
		if r == '\'' || r == '\\' || r == ' ' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// FormatDSN renders params as Patroni does: known keywords in a fixed order,
// values escaping ', \ and space with a backslash, keywords too new for the
// server major version left out. passfile replaces password when both are set.
func FormatDSN(p ConnParams, major int) string {
	var parts []string
	for _, k := range dsnKeys {
		v, ok := p[k]
		if !ok || v == "" && k != "password" {
			continue
		}
		if k == "password" && (p["passfile"] != "" || v == "") {
			continue
		}
		if min, ok := conninfoMinMajor[k]; ok && major < min {
			continue
		}
		parts = append(parts, k+"="+escapeDSNValue(v))
	}
	return strings.Join(parts, " ")
}

// Without returns a copy of p without the named keys.
func (p ConnParams) Without(keys ...string) ConnParams {
	out := make(ConnParams, len(p))
	for k, v := range p {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// With returns a copy of p with the given key set.
func (p ConnParams) With(k, v string) ConnParams {
	out := p.Without()
	out[k] = v
	return out
}

// WithUser applies credentials (username → user, ssl* keys).
func (p ConnParams) WithUser(u User) ConnParams {
	out := p.Without()
	set := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	set("user", u.Username)
	set("password", u.Password)
	set("sslmode", u.SSLMode)
	set("sslkey", u.SSLKey)
	set("sslpassword", u.SSLPassword)
	set("sslcert", u.SSLCert)
	set("sslrootcert", u.SSLRootCert)
	set("sslcrl", u.SSLCRL)
	set("sslcrldir", u.SSLCRLDir)
	set("gssencmode", u.GSSEncMode)
	set("channel_binding", u.ChannelBinding)
	return out
}

// ParseConnURL turns a member conn_url ("postgres://host:port/db") into params.
func ParseConnURL(connURL string) (ConnParams, error) {
	u, err := url.Parse(connURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("invalid conn_url %q", connURL)
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	p := ConnParams{"host": u.Hostname(), "port": port}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		p["dbname"] = db
	}
	return p, nil
}

// ConnURL builds the conn_url a member publishes: postgres://host:port/db.
func ConnURL(hostPort, database string) string {
	return (&url.URL{Scheme: "postgres", Host: hostPort, Path: "/" + database}).String()
}

// SplitHostPort splits "h1,h2:5432" → ("h1,h2", 5432); default port when absent.
func SplitHostPort(v string, defPort int) (string, int, error) {
	i := strings.LastIndexByte(v, ':')
	if i < 0 || strings.HasSuffix(v, "]") {
		return strings.Trim(v, "[]"), defPort, nil
	}
	port, err := strconv.Atoi(strings.TrimSpace(v[i+1:]))
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("invalid port in %q", v)
	}
	host := strings.TrimSpace(v[:i])
	if h, _, err := net.SplitHostPort(v); err == nil && strings.Contains(v, "[") {
		host = h
	}
	return host, port, nil
}

// PgPassContent renders pgpass lines for params (one per host; ':' and '\'
// escaped; a socket host also gets a localhost line). "" without a password.
func PgPassContent(p ConnParams) string {
	pw, ok := p["password"]
	if !ok || pw == "" {
		return ""
	}
	esc := func(v string) string {
		if v == "" {
			return "*"
		}
		return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(v)
	}
	var hosts []string
	socket, local := false, false
	hostList := p["host"]
	if hostList == "" {
		hostList = "*"
	}
	for _, h := range strings.Split(hostList, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, esc(h))
			socket = socket || strings.HasPrefix(h, "/")
			local = local || h == "localhost"
		}
	}
	if socket && !local {
		hosts = append(hosts, "localhost")
	}
	var b strings.Builder
	for _, h := range hosts {
		fmt.Fprintf(&b, "%s:%s:*:%s:%s\n", h, esc(p["port"]), esc(p["user"]), esc(pw))
	}
	return b.String()
}

// ParseDSN parses a libpq keyword/value string ("host=a port=5432
// password='x y'") into params.
func ParseDSN(s string) (ConnParams, error) {
	p := ConnParams{}
	i, n := 0, len(s)
	for {
		for i < n && s[i] == ' ' || i < n && s[i] == '\t' || i < n && s[i] == '\n' {
			i++
		}
		if i >= n {
			return p, nil
		}
		eq := strings.IndexByte(s[i:], '=')
		if eq < 0 {
			return nil, fmt.Errorf("missing \"=\" after %q in connection info string", s[i:])
		}
		key := strings.TrimSpace(s[i : i+eq])
		i += eq + 1
		for i < n && s[i] == ' ' {
			i++
		}
		val, next, err := readDSNValue(s, i)
		if err != nil {
			return nil, err
		}
		p[key], i = val, next
	}
}

func readDSNValue(s string, i int) (string, int, error) {
	var b strings.Builder
	n := len(s)
	if i < n && s[i] == '\'' {
		for i++; i < n; i++ {
			switch s[i] {
			case '\\':
				if i+1 < n {
					i++
					b.WriteByte(s[i])
				}
			case '\'':
				return b.String(), i + 1, nil
			default:
				b.WriteByte(s[i])
			}
		}
		return "", 0, fmt.Errorf("unterminated quoted string in connection info string")
	}
	for ; i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\n'; i++ {
		if s[i] == '\\' && i+1 < n {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String(), i, nil
}

// QuoteDSN renders params in the quoted libpq form ('…') that any libpq
// client (and pgx) accepts; sorted keys, empty values dropped.
func QuoteDSN(p ConnParams) string {
	keys := make([]string, 0, len(p))
	for k, v := range p {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sortStrings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(p[k])
		parts[i] = k + "='" + v + "'"
	}
	return strings.Join(parts, " ")
}
