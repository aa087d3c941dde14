package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

var errWrongAddress = errors.New("contains a wrong value")

func validateHostPort(v any, c *vctx) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("'%s' object has no attribute 'rsplit'", pyTypeName(v))
	}
	return c.hostPort(s, false, false)
}

func commaSeparatedHostPort(v any, c *vctx) error {
	for _, hp := range strings.Split(v.(string), ",") {
		if err := c.hostPort(strings.TrimSpace(hp), false, false); err != nil {
			return err
		}
	}
	return nil
}

// hostPort checks a listen address (the port must be free) or a server
// address (it must accept connections).
func (c *vctx) hostPort(hostPort string, listen, multipleHosts bool) error {
	host, port, err := SplitHostPort(hostPort, 1)
	if err != nil {
		return errWrongAddress
	}
	if port < 0 || port > 65535 {
		return errors.New("port must be 0-65535")
	}
	hosts := []string{host}
	if multipleHosts {
		hosts = strings.Split(host, ",")
	}
	if contains(hosts, "*") {
		if len(hosts) != 1 {
			return errors.New("expecting '*' alone")
		}
		hosts = c.opts.PassiveAddrs()
	}
	for _, h := range hosts {
		connected, err := c.opts.Dial(h, port)
		if err != nil {
			return err
		}
		if connected && listen && !c.opts.IgnoreListenPort {
			return fmt.Errorf("Port %d is already in use.", port)
		}
		if !connected && !listen {
			return fmt.Errorf("%s is not reachable", hostPort)
		}
	}
	return nil
}

func validateConnectAddress(v any, _ *vctx) error {
	host, _, err := SplitHostPort(v.(string), 1)
	if err != nil {
		return errWrongAddress
	}
	switch host {
	case "127.0.0.1", "0.0.0.0", "*", "::1", "localhost":
		return errors.New(`must not contain "127.0.0.1", "0.0.0.0", "*", "::1", "localhost"`)
	}
	return nil
}

// pgSection is the raw postgresql section of the configuration being validated.
func (c *vctx) pgSection() map[string]any { return section(c.root, "postgresql") }

// binDir is postgresql.bin_dir as configured ("" when absent).
func (c *vctx) binDir() string {
	if v, ok := c.pgSection()["bin_dir"]; ok && v != nil {
		return PyStr(v)
	}
	return ""
}

// binName honours postgresql.bin_name.<name>.
func (c *vctx) binName(name string) string {
	if v, ok := section(c.pgSection(), "bin_name")[name]; ok && v != nil {
		return PyStr(v)
	}
	return name
}

func validateBinaryName(v any, c *vctx) error {
	name := v.(string)
	if name == "" {
		return errors.New("is an empty string")
	}
	if !c.opts.LookPath(name, c.binDir()) {
		return fmt.Errorf("does not contain '%s' in '%s'", name, orPath(c.binDir()))
	}
	return nil
}

func orPath(dir string) string {
	if dir == "" {
		return "$PATH"
	}
	return dir
}

func validateDataDir(v any, c *vctx) error {
	dir := v.(string)
	if dir == "" {
		return errors.New("is an empty string")
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return errors.New("is not a directory")
	}
	if dataDirEmpty(dir) {
		return nil
	}
	raw, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	if err != nil {
		return errors.New("doesn't look like a valid data directory")
	}
	pgVersion := strings.TrimSpace(string(raw))
	f, err := strconv.ParseFloat(pgVersion, 64)
	if err != nil {
		return fmt.Errorf("could not convert string to float: %s", pyRepr(pgVersion))
	}
	walDir := "pg_xlog"
	if f >= 10 {
		walDir = "pg_wal"
	}
	if st, err := os.Stat(filepath.Join(dir, walDir)); err != nil || !st.IsDir() {
		return fmt.Errorf(`data dir for the cluster is not empty, but doesn't contain "%s" directory`, walDir)
	}
	binary := c.binName("postgres")
	if d := c.binDir(); d != "" {
		binary = filepath.Join(d, binary)
	}
	out, err := c.opts.PostgresVersion(binary)
	if err != nil {
		return err
	}
	major, err := PostgresMajorVersion(out)
	if err != nil {
		return err
	}
	if pgVersion != major {
		return fmt.Errorf("data_dir directory postgresql version (%s) doesn't match with 'postgres --version' output (%s)",
			pgVersion, major)
	}
	return nil
}

// dataDirEmpty: missing, or only dot files and lost+found, and no global/pg_control.
func dataDirEmpty(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, "global", "pg_control")); err == nil {
		return false
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return true
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") && e.Name() != "lost+found" {
			return false
		}
	}
	return true
}

// binDirV is Patroni's BinDirectory check: the directory exists and holds
// the binaries Patroni needs (or $PATH does, when bin_dir is empty).
type binDirV struct{}

var requiredBinaries = []string{"pg_ctl", "initdb", "pg_controldata", "pg_basebackup", "postgres", "pg_isready"}

func (binDirV) check(v any, c *vctx) []result {
	dir, ok := v.(string)
	if !ok {
		return nil
	}
	if dir != "" {
		st, err := os.Stat(dir)
		if err != nil {
			return []result{fail(fmt.Sprintf("Directory '%s' does not exist.", dir), 0, "")}
		}
		if !st.IsDir() {
			return []result{fail(fmt.Sprintf("'%s' is not a directory.", dir), 0, "")}
		}
	}
	var out []result
	for _, b := range requiredBinaries {
		name := c.binName(b)
		if !c.opts.LookPath(name, dir) {
			out = append(out, fail(fmt.Sprintf("does not contain '%s' in '%s'", name, orPath(dir)), 0, ""))
		}
	}
	return out
}

// pyTypeName is the Python type name of a loaded YAML value.
func pyTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int, int64, uint64:
		return "int"
	case float64:
		return "float"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return "str"
}
