package ctl

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/patroni-go/patroni/internal/config"
)

type editConfigArgs struct {
	cluster string
	group   *int
	quiet   bool
	set     []string
	pg      []string
	apply   string
	replace string
	force   bool
}

func (s *session) runEditConfig(a editConfigArgs) error {
	v, st, err := s.load(a.cluster, s.defaultGroup(a.group))
	if err != nil {
		return err
	}
	if v.Config == nil {
		return errorf("The config key does not exist in the cluster %s", a.cluster)
	}
	current := normalizeValue(v.Config.Data).(map[string]any)
	before := dumpYAML(current, false)
	var after string
	changed := current
	edited := false
	if a.replace != "" {
		if after, changed, err = s.applyYAMLFile(map[string]any{}, a.replace); err != nil {
			return err
		}
		edited = true
	}
	if a.apply != "" {
		if after, changed, err = s.applyYAMLFile(changed, a.apply); err != nil {
			return err
		}
		edited = true
	}
	if len(a.set) > 0 || len(a.pg) > 0 {
		pairs := append([]string(nil), a.set...)
		for _, p := range a.pg {
			pairs = append(pairs, "postgresql.parameters."+strings.TrimLeft(p, " \t\n\r\v\f"))
		}
		if after, changed, err = applyConfigChanges(changed, pairs); err != nil {
			return err
		}
		edited = true
	}
	if !edited {
		if after, changed, err = s.invokeEditor(before, a.cluster); err != nil {
			return err
		}
	}
	if pyEqual(current, changed) {
		if !a.quiet {
			s.echo("Not changed")
		}
		return nil
	}
	if !a.quiet {
		if err := s.showDiff(before, after); err != nil {
			return err
		}
	}
	if (a.apply == "-" || a.replace == "-") && !a.force {
		s.echo("Use --force option to apply changes")
		return nil
	}
	if !a.force {
		ok, err := s.confirm("Apply these changes?")
		if err != nil || !ok {
			return err
		}
	}
	ok, err := st.SetConfig(s.ctx, []byte(pyJSON(changed, true)), v.Config.Version)
	if err != nil {
		return dcsError(err)
	}
	if !ok {
		return errorf("Config modification aborted due to concurrent changes")
	}
	s.echo("Configuration changed")
	return nil
}

// applyYAMLFile patches data with the YAML document in file ("-": stdin).
func (s *session) applyYAMLFile(data map[string]any, file string) (string, map[string]any, error) {
	var raw []byte
	var err error
	if file == "-" {
		raw, err = io.ReadAll(s.in.r)
	} else {
		raw, err = os.ReadFile(file)
	}
	if err != nil {
		return "", nil, errorf("%v", err)
	}
	patch, err := config.ParseYAML(raw)
	if err != nil {
		return "", nil, errorf("%v", err)
	}
	out := config.DeepCopyMap(data)
	if pm, ok := patch.(map[string]any); ok {
		config.Patch(out, pm)
	} else if patch != nil {
		return "", nil, errorf("%s does not contain a YAML mapping", file)
	}
	out = normalizeValue(out).(map[string]any)
	return dumpYAML(out, false), out, nil
}

// applyConfigChanges applies key.path=yamlvalue pairs (apply_config_changes).
func applyConfigChanges(data map[string]any, pairs []string) (string, map[string]any, error) {
	out := config.DeepCopyMap(data)
	for _, pair := range pairs {
		key, value, ok := strings.Cut(pair, "=")
		if pair == "" || !ok {
			return "", nil, errorf("Invalid parameter setting %s", pair)
		}
		parsed, err := config.ParseYAML([]byte(value))
		if err != nil {
			return "", nil, errorf("%v", err)
		}
		setPath(out, strings.Split(strings.TrimSpace(key), "."), normalizeValue(parsed), nil)
	}
	return dumpYAML(out, false), out, nil
}

func setPath(m map[string]any, path []string, value any, prefix []string) {
	if len(prefix) == 2 && prefix[0] == "postgresql" && prefix[1] == "parameters" {
		path = []string{strings.Join(path, ".")}
	}
	key := path[0]
	if len(path) == 1 {
		if value == nil {
			delete(m, key)
		} else {
			m[key] = value
		}
		return
	}
	sub, ok := m[key].(map[string]any)
	if !ok {
		sub = map[string]any{}
		m[key] = sub
	}
	setPath(sub, path[1:], value, append(append([]string(nil), prefix...), key))
	if len(sub) == 0 {
		delete(m, key)
	}
}

// invokeEditor opens the rendered configuration in $EDITOR (else editor,
// vi) and reads it back.
func (s *session) invokeEditor(before, clusterName string) (string, map[string]any, error) {
	editor := lookupEnv(s.env.Environ, "EDITOR")
	if editor == "" {
		for _, e := range []string{"editor", "vi"} {
			if p, err := s.env.LookPath(e); err == nil {
				editor = p
				break
			}
		}
	}
	if editor == "" {
		return "", nil, errorf("EDITOR environment variable is not set. editor or vi are not available")
	}
	f, err := os.CreateTemp(s.env.TempDir, strings.ReplaceAll(clusterName, "/", "_")+"-config-*.yaml")
	if err != nil {
		return "", nil, errorf("%v", err)
	}
	name := f.Name()
	defer os.Remove(name)
	_, werr := f.WriteString(before)
	if cerr := f.Close(); werr != nil || cerr != nil {
		return "", nil, errorf("cannot write %s", name)
	}
	code, err := s.env.Run(s.ctx, s.env.Stdin, editor, name)
	if err != nil {
		return "", nil, errorf("%v", err)
	}
	if code != 0 {
		return "", nil, errorf("Editor exited with return code %d", code)
	}
	raw, err := os.ReadFile(name)
	if err != nil {
		return "", nil, errorf("%v", err)
	}
	parsed, err := config.ParseYAML(raw)
	if err != nil {
		return "", nil, errorf("%v", err)
	}
	m, ok := normalizeValue(parsed).(map[string]any)
	if !ok {
		m = map[string]any{}
	}
	return string(raw), m, nil
}

// showDiff prints the unified diff, through a pager on a terminal.
func (s *session) showDiff(before, after string) error {
	lines := unifiedDiff(diffLines(before), diffLines(after))
	if s.env.IsTTY == nil || !s.env.IsTTY() {
		for _, l := range lines {
			s.echo("%s", l)
		}
		return nil
	}
	pager := ""
	for _, p := range []string{lookupEnv(s.env.Environ, "PAGER"), "less", "more"} {
		if p == "" {
			continue
		}
		if _, err := s.env.LookPath(p); err == nil {
			pager = filepath.Base(p)
			break
		}
	}
	if pager == "" {
		return errorf("No pager could be found. Either set PAGER environment variable with your pager or " +
			"install either \"less\" or \"more\" in the host.")
	}
	var buf bytes.Buffer
	for _, l := range lines {
		buf.WriteString(l + "\n")
	}
	args := []string{}
	if pager == "less" {
		args = []string{"-R", "-F", "-X"}
	}
	_, err := s.env.Run(s.ctx, &buf, pager, args...)
	return err
}

// pyEqual is Python's == on decoded JSON/YAML values (1 == 1.0 == True).
func pyEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !pyEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !pyEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	if fa, ok := pyNumber(a); ok {
		fb, ok := pyNumber(b)
		return ok && fa == fb
	}
	return a == b
}

func pyNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}
