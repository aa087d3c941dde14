package dcs

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Helpers for the backends' ConfigFromMap: a DCS section arrives as the YAML or
// environment layer decoded it, so scalars, booleans and lists come in several spellings.
// Errors name only the value; each backend prefixes its own section.key.

// ScalarString reads a scalar where a string is meant: YAML gives a number for
// "password: 1234" or "port: 2379".
func ScalarString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case int, int64, float64:
		return fmt.Sprint(t), true
	}
	return "", false
}

// ParseBool reads a boolean as YAML or an environment variable spells it: true/false,
// yes/no, on/off, 1/0 in any case, or the integers 0 and 1.
func ParseBool(v any) (bool, error) {
	switch t := v.(type) {
	case bool:
		return t, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "on", "true", "yes", "1":
			return true, nil
		case "off", "false", "no", "0":
			return false, nil
		}
	case int:
		if t == 0 || t == 1 {
			return t == 1, nil
		}
	}
	return false, fmt.Errorf("%v is not a boolean", v)
}

// SplitList reads a list given as a YAML list or as one comma-separated string, the form
// environment variables use (PATRONI_ETCD3_HOSTS="'a:2379','b:2379'"). Items are trimmed
// of spaces and quotes and empty ones dropped; nil gives nil. scalar converts each item
// of a YAML list; badItem formats the error for one it refuses (one %v verb).
func SplitList(v any, scalar func(any) (string, bool), badItem string) ([]string, error) {
	var items []string
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		items = strings.Split(t, ",")
	case []string:
		items = t
	case []any:
		for _, e := range t {
			s, ok := scalar(e)
			if !ok {
				return nil, fmt.Errorf(badItem, e)
			}
			items = append(items, s)
		}
	default:
		return nil, fmt.Errorf("%v is neither a list nor a comma-separated string", v)
	}
	var out []string
	for _, s := range items {
		if s = strings.Trim(strings.TrimSpace(s), `'"`); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// SplitHostPort splits "host[:port]". A string without a port (a name, an IPv4 address
// or an IPv6 address with or without brackets) gets defaultPort; "host:" keeps its empty
// port for the caller to refuse or default. ok is false when s is none of these
// ("a:b:c"); "::1:5" is one IPv6 address. host and port are not checked further.
func SplitHostPort(s string, defaultPort int) (host, port string, ok bool) {
	host, port, err := net.SplitHostPort(s)
	if err == nil {
		return host, port, true
	}
	host = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if strings.Contains(host, ":") && net.ParseIP(host) == nil {
		return "", "", false
	}
	return host, strconv.Itoa(defaultPort), true
}
