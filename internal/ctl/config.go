package ctl

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/patroni-go/patroni/internal/config"
)

// dcsDefaults are the schemes -d/--dcs-url accepts and their default ports,
// in the order Patroni guesses a scheme from a bare port.
var dcsDefaults = []struct {
	scheme string
	port   int
}{{"zookeeper", 2181}, {"exhibitor", 8181}, {"consul", 8500}, {"etcd", 2379}, {"etcd3", 2379}}

// ParseDCSURL turns -d/--dcs-url ([scheme://]host[:port][/namespace]) into
// the configuration section it stands for, plus "namespace" when a path is
// given. No scheme: guessed from the port, else etcd.
func ParseDCSURL(raw string) (map[string]any, error) {
	if !strings.Contains(raw, "//") {
		raw = "//" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errorf("Invalid dcs url %s: %v", raw, err)
	}
	port := 0
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, errorf("Invalid dcs url %s: bad port", raw)
		}
	}
	scheme := u.Scheme
	defPort := 0
	for _, d := range dcsDefaults {
		if (scheme == "" && d.port == port) || d.scheme == scheme {
			scheme, defPort = d.scheme, d.port
			break
		}
	}
	if scheme == "" {
		scheme, defPort = "etcd", 2379
	}
	if defPort == 0 {
		return nil, errorf("Unknown dcs scheme: %s", u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		host = "localhost"
	}
	if port == 0 {
		port = defPort
	}
	hp := fmt.Sprintf("%s:%d", host, port)
	var section map[string]any
	switch scheme {
	case "zookeeper":
		section = map[string]any{"hosts": []any{hp}}
	case "exhibitor":
		section = map[string]any{"hosts": []any{host}, "port": port}
	default:
		section = map[string]any{"host": hp}
	}
	ret := map[string]any{scheme: section}
	if p := strings.TrimSpace(u.Path); p != "" && p != "/" {
		ret["namespace"] = p
	}
	return ret, nil
}

// DefaultConfigPath is click's app dir for "patroni": $XDG_CONFIG_HOME or
// ~/.config, then patroni/patronictl.yaml.
func DefaultConfigPath(environ []string, home string) string {
	base := lookupEnv(environ, "XDG_CONFIG_HOME")
	if base == "" {
		base = filepath.Join(home, ".config")
	}
	return filepath.Join(base, "patroni", "patronictl.yaml")
}

// LoadConfig reads patronictl's configuration: the node YAML at path plus
// PATRONI_* variables, without validation. A missing file is an error unless
// path is the default one. dcsURL, when given, replaces every DCS section.
func LoadConfig(path, defaultPath, dcsURL string, environ []string) (*config.Config, error) {
	if !readable(path) {
		if path != defaultPath {
			return nil, errorf("Provided config file %s not existing or no read rights. Check the -c/--config-file parameter", path)
		}
		path = ""
	}
	raw, _, _, err := config.LoadRaw(path, environ)
	if errors.Is(err, config.ErrEmpty) {
		raw, err = map[string]any{}, nil
	}
	if err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	if dcsURL != "" {
		section, err := ParseDCSURL(dcsURL)
		if err != nil {
			return nil, err
		}
		for _, d := range dcsDefaults {
			delete(raw, d.scheme)
		}
		for k, v := range section {
			raw[k] = v
		}
	}
	cfg, err := config.FromMap(raw)
	if err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	cfg.File = path
	return cfg, nil
}

func readable(path string) bool {
	if path == "" {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

func lookupEnv(environ []string, key string) string {
	for i := len(environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(environ[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}
