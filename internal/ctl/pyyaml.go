package ctl

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// dumpYAML renders v the way patronictl does with PyYAML:
// safe_dump(v, default_flow_style=flow, allow_unicode=True, width=200).
// Keys are sorted, nested maps indent by two, sequences inside maps are not
// indented, and strings PyYAML would read back as another type are quoted.
// The edit-config diff and show-config depend on this being exact.
func dumpYAML(v any, flow bool) string {
	e := &yamlEmitter{indent: -1, whitespace: true, indention: true, flowStyle: flow}
	e.node(normalizeValue(v), nodeCtx{root: true})
	// document end: a final line break.
	e.writeIndent()
	return e.b.String()
}

const (
	yamlBestWidth  = 200
	yamlBestIndent = 2
)

type yamlEmitter struct {
	b          strings.Builder
	column     int
	indent     int // -1: none yet
	indents    []int
	whitespace bool
	indention  bool
	flowLevel  int
	flowStyle  bool
}

type nodeCtx struct {
	root, sequence, mapping, simpleKey bool
}

func (e *yamlEmitter) write(s string) {
	e.column += utf8.RuneCountInString(s)
	e.b.WriteString(s)
}

func (e *yamlEmitter) increaseIndent(flow, indentless bool) {
	e.indents = append(e.indents, e.indent)
	switch {
	case e.indent < 0 && flow:
		e.indent = yamlBestIndent
	case e.indent < 0:
		e.indent = 0
	case !indentless:
		e.indent += yamlBestIndent
	}
}

func (e *yamlEmitter) popIndent() {
	e.indent = e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
}

func (e *yamlEmitter) writeLineBreak() {
	e.whitespace, e.indention = true, true
	e.column = 0
	e.b.WriteByte('\n')
}

func (e *yamlEmitter) writeIndent() {
	indent := max(e.indent, 0)
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.writeLineBreak()
	}
	if e.column < indent {
		e.whitespace = true
		e.write(strings.Repeat(" ", indent-e.column))
	}
}

func (e *yamlEmitter) writeIndicator(ind string, needWhitespace, whitespace, indention bool) {
	if !e.whitespace && needWhitespace {
		ind = " " + ind
	}
	e.whitespace = whitespace
	e.indention = e.indention && indention
	e.write(ind)
}

func (e *yamlEmitter) node(v any, c nodeCtx) {
	switch x := v.(type) {
	case map[string]any:
		if e.flowLevel > 0 || e.flowStyle || len(x) == 0 {
			e.flowMapping(x)
		} else {
			e.blockMapping(x)
		}
	case []any:
		if e.flowLevel > 0 || e.flowStyle || len(x) == 0 {
			e.flowSequence(x)
		} else {
			e.blockSequence(x, c)
		}
	default:
		e.increaseIndent(true, false)
		e.scalar(x, c)
		e.popIndent()
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (e *yamlEmitter) blockMapping(m map[string]any) {
	e.increaseIndent(false, false)
	for _, k := range sortedKeys(m) {
		e.writeIndent()
		if isSimpleKey(k) {
			e.node(k, nodeCtx{mapping: true, simpleKey: true})
			e.writeIndicator(":", false, false, false)
		} else {
			e.writeIndicator("?", true, false, true)
			e.node(k, nodeCtx{mapping: true})
			e.writeIndent()
			e.writeIndicator(":", true, false, true)
		}
		e.node(m[k], nodeCtx{mapping: true})
	}
	e.popIndent()
}

func (e *yamlEmitter) blockSequence(list []any, c nodeCtx) {
	e.increaseIndent(false, c.mapping && !e.indention)
	for _, item := range list {
		e.writeIndent()
		e.writeIndicator("-", true, false, true)
		e.node(item, nodeCtx{sequence: true})
	}
	e.popIndent()
}

func (e *yamlEmitter) flowMapping(m map[string]any) {
	e.writeIndicator("{", true, true, false)
	e.flowLevel++
	e.increaseIndent(true, false)
	for i, k := range sortedKeys(m) {
		if i > 0 {
			e.writeIndicator(",", false, false, false)
		}
		if e.column > yamlBestWidth {
			e.writeIndent()
		}
		if isSimpleKey(k) {
			e.node(k, nodeCtx{mapping: true, simpleKey: true})
			e.writeIndicator(":", false, false, false)
		} else {
			e.writeIndicator("?", true, false, false)
			e.node(k, nodeCtx{mapping: true})
			e.writeIndicator(":", true, false, false)
		}
		e.node(m[k], nodeCtx{mapping: true})
	}
	e.popIndent()
	e.flowLevel--
	e.writeIndicator("}", false, false, false)
}

func (e *yamlEmitter) flowSequence(list []any) {
	e.writeIndicator("[", true, true, false)
	e.flowLevel++
	e.increaseIndent(true, false)
	for i, item := range list {
		if i > 0 {
			e.writeIndicator(",", false, false, false)
		}
		if e.column > yamlBestWidth {
			e.writeIndent()
		}
		e.node(item, nodeCtx{sequence: true})
	}
	e.popIndent()
	e.flowLevel--
	e.writeIndicator("]", false, false, false)
}

// isSimpleKey is PyYAML's check_simple_key for a string key.
func isSimpleKey(k string) bool {
	a := analyzeScalar(k)
	return utf8.RuneCountInString(k) < 128 && !a.empty && !a.multiline
}

func (e *yamlEmitter) scalar(v any, c nodeCtx) {
	text, isStr := scalarText(v)
	if !isStr {
		e.writePlain(text, !c.simpleKey)
		return
	}
	a := analyzeScalar(text)
	plainOK := resolvesToStr(text)
	switch {
	case plainOK && !(c.simpleKey && (a.empty || a.multiline)) &&
		((e.flowLevel > 0 && a.allowFlowPlain) || (e.flowLevel == 0 && a.allowBlockPlain)):
		e.writePlain(text, !c.simpleKey)
	case a.allowSingleQuoted && !(c.simpleKey && a.multiline):
		e.writeSingleQuoted(text, !c.simpleKey)
	default:
		e.writeDoubleQuoted(text, !c.simpleKey)
	}
}

// scalarText is PyYAML's representation of a scalar; isStr marks strings,
// which may need quoting.
func scalarText(v any) (text string, isStr bool) {
	switch x := v.(type) {
	case nil:
		return "null", false
	case bool:
		if x {
			return "true", false
		}
		return "false", false
	case string:
		return x, true
	case int:
		return strconv.Itoa(x), false
	case int64:
		return strconv.FormatInt(x, 10), false
	case float64:
		return yamlFloat(x), false
	}
	return fmt.Sprint(v), true
}

func yamlFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	s := strings.ToLower(pyFloatRepr(f))
	if !strings.Contains(s, ".") && strings.Contains(s, "e") {
		s = strings.Replace(s, "e", ".0e", 1)
	}
	return s
}

// pyFloatRepr is Python's repr(float): the shortest round-trip digits, in
// scientific notation below 1e-4 or from 1e16 on.
func pyFloatRepr(f float64) string {
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	exp := math.Floor(math.Log10(math.Abs(f)))
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	if mant, e, ok := strings.Cut(sci, "e"); ok {
		if n, err := strconv.Atoi(e); err == nil {
			exp = float64(n)
		}
		if exp < -4 || exp >= 16 {
			return mant + "e" + e
		}
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// normalizeValue turns decoded JSON (json.Number) into the int64/float64
// values PyYAML and Python's json would print.
func normalizeValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			if !strings.ContainsAny(string(x), ".eE") && math.Abs(f) >= 1<<63 {
				return string(x) // a huge integer: keep its digits
			}
			return f
		}
		return string(x)
	case int:
		return int64(x)
	case float32:
		return float64(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeValue(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	}
	return v
}

// PyYAML's implicit resolvers (YAML 1.1), used to decide whether a string
// written plain would be read back as something else.
var (
	reYAMLBool  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	reYAMLFloat = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	reYAMLInt   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	reYAMLNull  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	reYAMLTime  = regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)
)

// resolvesToStr: a plain scalar with this text would load as a string.
// Like PyYAML, resolvers are chosen by the first character. Python's `$`
// also matches before one trailing newline.
func resolvesToStr(s string) bool {
	t := strings.TrimSuffix(s, "\n")
	if s == "" {
		return !reYAMLNull.MatchString(t)
	}
	first := s[0]
	in := func(set string) bool { return strings.IndexByte(set, first) >= 0 }
	switch {
	case in("yYnNtTfFoO") && reYAMLBool.MatchString(t):
		return false
	case in("-+0123456789.") && reYAMLFloat.MatchString(t):
		return false
	case in("-+0123456789") && reYAMLInt.MatchString(t):
		return false
	case first == '<' && t == "<<":
		return false
	case in("~nN") && reYAMLNull.MatchString(t):
		return false
	case in("0123456789") && reYAMLTime.MatchString(t):
		return false
	case first == '=' && t == "=":
		return false
	}
	return true
}
