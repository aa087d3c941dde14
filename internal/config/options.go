package config

import (
	"fmt"
	"strings"
)

// Option is one extra command-line option for initdb or pg_basebackup:
// `--Name` or `--Name=Value`.
type Option struct {
	Name     string
	Value    string
	HasValue bool
	Err      string // why Patroni would refuse this entry ("" when fine)
}

// Options accepts both forms Patroni allows: a list of strings and
// single-key maps, or a map. Map keys are sorted (Go maps keep no order).
type Options []Option

func (o *Options) decodeCfg(path string, v any) error {
	var out Options
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if k == "" || !Truthy(x[k]) {
				continue
			}
			out = append(out, Option{Name: k, Value: PyStr(x[k]), HasValue: true})
		}
	case []any:
		for _, e := range x {
			out = append(out, listOption(e))
		}
	default:
		return &FieldError{path, v, "a list or a dictionary"}
	}
	*o = out
	return nil
}

func listOption(e any) Option {
	switch x := e.(type) {
	case string:
		return Option{Name: x}
	case map[string]any:
		if len(x) == 1 {
			for k, v := range x {
				if s, ok := v.(string); ok {
					return Option{Name: k, Value: s, HasValue: true}
				}
				return Option{Name: k, Err: fmt.Sprintf("key-value option %s: only one key-value is allowed and value should be a string", PyStr(v))}
			}
		}
		return Option{Err: fmt.Sprintf("key-value option %s: only one key-value is allowed and value should be a string", PyStr(x))}
	}
	return Option{Err: fmt.Sprintf("option %s: value should be string value or a single key-value pair", PyStr(e))}
}

// Args renders the options as command-line arguments for tool, refusing the
// names in forbidden. Values wrapped in shell quotes are unquoted. Every
// refused entry yields an error message (Patroni logs them and, for initdb,
// fails the bootstrap).
func (o Options) Args(tool string, forbidden ...string) (args []string, errs []string) {
	for _, opt := range o {
		if opt.Err != "" {
			errs = append(errs, fmt.Sprintf("Error when parsing %s %s", tool, opt.Err))
			continue
		}
		if contains(forbidden, opt.Name) {
			errs = append(errs, fmt.Sprintf("%s option for %s is not allowed", opt.Name, tool))
			continue
		}
		if !opt.HasValue {
			args = append(args, "--"+opt.Name)
			continue
		}
		args = append(args, "--"+opt.Name+"="+unquote(opt.Value))
	}
	return args, errs
}

// Forbidden option names (Patroni manages these itself).
var (
	InitDBForbidden     = []string{"pgdata", "nosync", "pwfile", "sync-only", "version"}
	BasebackupForbidden = []string{"pgdata", "format", "wal-method", "xlog-method", "gzip", "version",
		"compress", "dbname", "host", "port", "username", "password"}
)

// unquote strips one level of shell quoting when the value is one shell word.
func unquote(s string) string {
	words, err := SplitCommand(s)
	if err != nil || len(words) != 1 {
		return s
	}
	return words[0]
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// HostList is a list of host:port strings, given as a YAML list or as one
// comma-separated string.
type HostList []string

func (h *HostList) decodeCfg(path string, v any) error {
	switch x := v.(type) {
	case string:
		var out HostList
		for _, p := range strings.Split(x, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		*h = out
		return nil
	case []any:
		out := make(HostList, 0, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return &FieldError{fmt.Sprintf("%s.%d", path, i), e, "a string"}
			}
			out = append(out, strings.TrimSpace(s))
		}
		*h = out
		return nil
	}
	return &FieldError{path, v, "a string or a list"}
}

// LogFormat is log.format: a Python logging format string, or (json logs) a
// list of field names, optionally renamed.
type LogFormat struct {
	Text   string
	Fields []LogField
}

// LogField is one json log field; Rename is "" when the name is kept.
type LogField struct {
	Name   string
	Rename string
}

func (f *LogFormat) decodeCfg(path string, v any) error {
	switch x := v.(type) {
	case string:
		*f = LogFormat{Text: x}
		return nil
	case []any:
		out := LogFormat{}
		for i, e := range x {
			switch y := e.(type) {
			case string:
				out.Fields = append(out.Fields, LogField{Name: y})
			case map[string]any:
				if len(y) != 1 {
					return &FieldError{fmt.Sprintf("%s.%d", path, i), e, "a single-key dictionary"}
				}
				for k, rv := range y {
					s, ok := rv.(string)
					if !ok {
						return &FieldError{fmt.Sprintf("%s.%d.%s", path, i, k), rv, "a string"}
					}
					out.Fields = append(out.Fields, LogField{Name: k, Rename: s})
				}
			default:
				return &FieldError{fmt.Sprintf("%s.%d", path, i), e, "a string or a dictionary"}
			}
		}
		*f = out
		return nil
	}
	return &FieldError{path, v, "a string or a list"}
}
