package pg

import (
	"fmt"
	"sort"
)

// UserOptions turns tool options in list or map form into long command-line
// arguments: "flag" → --flag, {k: v} → --k=v (surrounding quotes of v
// removed). Forbidden option names are rejected with an error.
func UserOptions(tool string, options any, forbidden []string) ([]string, error) {
	bad := map[string]bool{}
	for _, f := range forbidden {
		bad[f] = true
	}
	check := func(name string) error {
		if bad[name] {
			return fmt.Errorf("%s option for %s is not allowed", name, tool)
		}
		return nil
	}
	var out []string
	switch opts := options.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		keys := make([]string, 0, len(opts))
		for k := range opts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := scalarString(opts[k])
			if k == "" || v == "" {
				continue
			}
			if err := check(k); err != nil {
				return nil, err
			}
			out = append(out, "--"+k+"="+unquote(v))
		}
	case map[string]string:
		m := make(map[string]any, len(opts))
		for k, v := range opts {
			m[k] = v
		}
		return UserOptions(tool, m, forbidden)
	case []string:
		l := make([]any, len(opts))
		for i, v := range opts {
			l[i] = v
		}
		return UserOptions(tool, l, forbidden)
	case []any:
		for _, o := range opts {
			arg, err := userOption(tool, o, check)
			if err != nil {
				return nil, err
			}
			out = append(out, arg)
		}
	default:
		return nil, fmt.Errorf("%s options must be list or dict", tool)
	}
	return out, nil
}

func userOption(tool string, o any, check func(string) error) (string, error) {
	switch v := o.(type) {
	case string:
		if err := check(v); err != nil {
			return "", err
		}
		return "--" + v, nil
	case map[string]any:
		if len(v) == 1 {
			for k, val := range v {
				s, ok := val.(string)
				if !ok {
					break
				}
				if err := check(k); err != nil {
					return "", err
				}
				return "--" + k + "=" + unquote(s), nil
			}
		}
		return "", fmt.Errorf("error when parsing %s key-value option %v: only one key-value is allowed and value should be a string", tool, v)
	case map[string]string:
		m := make(map[string]any, len(v))
		for k, s := range v {
			m[k] = s
		}
		return userOption(tool, m, check)
	}
	return "", fmt.Errorf("error when parsing %s option %v: value should be string value or a single key-value pair", tool, o)
}

// scalarString formats a YAML scalar the way Python's str() would for
// option values (bools as True/False are rare in options; ints as digits).
func scalarString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// FormatParamValue turns a YAML scalar of a GUC into its postgresql.conf
// text: booleans as on/off, numbers in plain decimal.
func FormatParamValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "on"
		}
		return "off"
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprintf("%d", int64(x))
		}
		return fmt.Sprint(x)
	default:
		return fmt.Sprint(x)
	}
}
