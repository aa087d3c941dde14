package config

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Problem is one finding of Validate. String() renders it as Patroni does:
// "<dotted.path> <value> <error>".
type Problem struct {
	Path    string
	Value   any
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + " " + PyStr(p.Value) + " " + p.Message
}

// ValidateOptions holds the environment checks; nil functions use the real
// network, file system and postgres binary, so tests can replace them.
type ValidateOptions struct {
	// IgnoreListenPort skips the "port already in use" checks (patroni -i).
	IgnoreListenPort bool
	// Timeout bounds each network check (default 1s).
	Timeout time.Duration
	// Dial reports whether a TCP connection to host:port succeeds; err is
	// for names that do not resolve.
	Dial func(host string, port int) (connected bool, err error)
	// PassiveAddrs are the addresses a "*" listen address stands for.
	PassiveAddrs func() []string
	// LookPath reports whether an executable name is found in dir (a
	// PATH-style list; "" means $PATH).
	LookPath func(name, dir string) bool
	// PostgresVersion runs `<binary> --version` and returns its output.
	PostgresVersion func(binary string) (string, error)
}

type vctx struct {
	opts ValidateOptions
	root map[string]any
}

// Validate checks a raw local configuration like `patroni --validate-config`
// with real network and file-system checks.
func Validate(raw map[string]any) []Problem { return ValidateWith(raw, ValidateOptions{}) }

// ValidateWith is Validate with replaceable environment checks.
func ValidateWith(raw map[string]any, opts ValidateOptions) []Problem {
	c := &vctx{opts: opts, root: raw}
	c.setDefaults()
	var out []Problem
	add := func(rs []result) {
		for _, r := range rs {
			if !r.ok {
				out = append(out, Problem{Path: r.path, Value: r.data, Message: r.err})
			}
		}
	}
	add(localSchema().check(raw, c))
	out = append(out, validateDCS(raw, c)...)
	add(tailSchema().check(raw, c))
	return out
}

func (c *vctx) setDefaults() {
	if c.opts.Timeout <= 0 {
		c.opts.Timeout = time.Second
	}
	if c.opts.Dial == nil {
		c.opts.Dial = c.realDial
	}
	if c.opts.PassiveAddrs == nil {
		c.opts.PassiveAddrs = func() []string { return []string{"0.0.0.0", "::"} }
	}
	if c.opts.LookPath == nil {
		c.opts.LookPath = realLookPath
	}
	if c.opts.PostgresVersion == nil {
		c.opts.PostgresVersion = realPostgresVersion
	}
}

func (c *vctx) realDial(host string, port int) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	if host != "" && net.ParseIP(host) == nil {
		if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
			return false, errors.New("Name or service not known: " + host)
		}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return false, nil
	}
	conn.Close()
	return true, nil
}

func realLookPath(name, dir string) bool {
	if strings.Contains(name, "/") {
		return isExecutable(name)
	}
	if dir == "" {
		dir = os.Getenv("PATH")
	}
	for _, d := range filepath.SplitList(dir) {
		if d != "" && isExecutable(filepath.Join(d, name)) {
			return true
		}
	}
	return false
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

func realPostgresVersion(binary string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("Failed to get postgres version: %v", err)
	}
	return string(out), nil
}

var pgVersionRE = regexp.MustCompile(`^\S+ \S+ ((\d+)(\.\d+)*)`)

// PostgresMajorVersion turns `postgres --version` output into the major
// version string PG_VERSION holds ("15", "9.6").
func PostgresMajorVersion(output string) (string, error) {
	m := pgVersionRE.FindStringSubmatch(output)
	if m == nil {
		return "", fmt.Errorf("unexpected postgres --version output %q", strings.TrimSpace(output))
	}
	full, major := m[1], m[2]
	n, _ := strconv.Atoi(major)
	if dots := strings.Count(full, "."); (n < 10 && dots < 2) || (n >= 10 && dots < 1) {
		full += ".0"
	}
	return full[:strings.LastIndex(full, ".")], nil
}

// validateDCS replaces Patroni's "one of the DCS modules" rule: exactly one
// DCS section, of a supported type, validated with its own schema.
func validateDCS(raw map[string]any, c *vctx) []Problem {
	found := DCSSections(raw)
	if len(found) == 0 {
		return []Problem{{Message: "no DCS section configured: configure exactly one of etcd3, consul, zookeeper"}}
	}
	var out []Problem
	var supported []string
	for _, name := range found {
		if !contains(SupportedDCS, name) {
			out = append(out, Problem{Message: name + ": " + unsupportedDCSError(name).Error()})
			continue
		}
		supported = append(supported, name)
	}
	if len(found) > 1 {
		out = append(out, Problem{Message: fmt.Sprintf("multiple DCS sections configured (%s): configure exactly one",
			strings.Join(found, ", "))})
	}
	for _, name := range supported {
		for _, r := range dcsSchemas()[name].check(raw[name], c) {
			if !r.ok {
				out = append(out, Problem{Path: joinResultPath(name, r.path), Value: r.data, Message: r.err})
			}
		}
	}
	return out
}
