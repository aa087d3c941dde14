package config

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"go.yaml.in/yaml/v3"
)

// PyYAML (YAML 1.1), which Patroni uses, reads these plain scalars as
// booleans; yaml.v3 (YAML 1.2) reads them as strings. We follow PyYAML so
// that `use_pg_rewind: on` means the same thing to both implementations.
var yaml11Bools = map[string]bool{
	"yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

// Limits that keep hostile documents (alias bombs, deep nesting) from
// exhausting memory or the stack.
const (
	maxYAMLNodes = 1 << 20
	maxYAMLDepth = 200
)

type yamlWalker struct {
	nodes int
}

// ParseYAML parses one YAML document into plain Go values: map[string]any,
// []any, string, int, float64, bool and nil, with PyYAML's boolean words.
// An empty document yields nil.
func ParseYAML(data []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	if doc.Kind == 0 {
		return nil, nil
	}
	w := &yamlWalker{}
	return w.value(&doc, 0)
}

// ParseYAMLMap parses a YAML document that must be a mapping.
func ParseYAMLMap(data []byte) (map[string]any, error) {
	v, err := ParseYAML(data)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("does not contain a dict")
	}
	return m, nil
}

func (w *yamlWalker) value(n *yaml.Node, depth int) (any, error) {
	w.nodes++
	if w.nodes > maxYAMLNodes {
		return nil, errors.New("invalid YAML: document expands to too many nodes")
	}
	if depth > maxYAMLDepth {
		return nil, errors.New("invalid YAML: document nested too deeply")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return w.value(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, errors.New("invalid YAML: unknown alias")
		}
		return w.value(n.Alias, depth+1)
	case yaml.ScalarNode:
		return scalarValue(n)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := w.value(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return w.mapping(n, depth)
	}
	return nil, fmt.Errorf("invalid YAML: unexpected node kind %d at line %d", n.Kind, n.Line)
}

func (w *yamlWalker) mapping(n *yaml.Node, depth int) (map[string]any, error) {
	out := map[string]any{}
	var merged []map[string]any
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Kind == yaml.ScalarNode && kn.ShortTag() == "!!merge" {
			m, err := w.mergeSources(vn, depth)
			if err != nil {
				return nil, err
			}
			merged = append(merged, m...)
			continue
		}
		kv, err := w.value(kn, depth+1)
		if err != nil {
			return nil, err
		}
		switch kv.(type) {
		case map[string]any, []any:
			return nil, fmt.Errorf("invalid YAML: unsupported mapping key at line %d", kn.Line)
		}
		v, err := w.value(vn, depth+1)
		if err != nil {
			return nil, err
		}
		out[PyStr(kv)] = v
	}
	// Explicit keys win over merged ones; earlier merge sources win over later.
	for _, m := range merged {
		for k, v := range m {
			if _, exists := out[k]; !exists {
				out[k] = v
			}
		}
	}
	return out, nil
}

func (w *yamlWalker) mergeSources(vn *yaml.Node, depth int) ([]map[string]any, error) {
	v, err := w.value(vn, depth+1)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case map[string]any:
		return []map[string]any{x}, nil
	case []any:
		var out []map[string]any
		for _, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("invalid YAML: merge value is not a mapping at line %d", vn.Line)
			}
			out = append(out, m)
		}
		return out, nil
	}
	return nil, fmt.Errorf("invalid YAML: merge value is not a mapping at line %d", vn.Line)
}

func scalarValue(n *yaml.Node) (any, error) {
	tag := n.ShortTag()
	switch tag {
	case "!!str":
		if n.Style == 0 {
			if b, ok := yaml11Bools[n.Value]; ok {
				return b, nil
			}
		}
		return n.Value, nil
	case "!!null":
		return nil, nil
	case "!!timestamp", "!!binary", "!!merge":
		return n.Value, nil
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("invalid YAML at line %d: %w", n.Line, err)
		}
		return normalizeNumber(v), nil
	}
	// Custom tags (!foo): keep the text.
	return n.Value, nil
}

func normalizeNumber(v any) any {
	switch x := v.(type) {
	case int64:
		return int(x)
	case uint64:
		if x <= math.MaxInt64 {
			return int(x)
		}
		return float64(x)
	case uint:
		return normalizeNumber(uint64(x))
	}
	return v
}

// yamlFlow parses an environment value as a YAML flow value (Patroni wraps
// lists in [] and maps in {} before handing them to the YAML parser).
func yamlFlow(s string) (any, error) {
	return ParseYAML([]byte(strings.TrimSpace(s)))
}
