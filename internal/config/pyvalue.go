package config

import (
	"encoding/json"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The helpers in this file reproduce how Patroni (Python) turns loosely typed
// configuration values into booleans, integers and strings, because users rely
// on that leniency (`on`, `'30'`, `128MB`, ...).

// ParseBool is Patroni's parse_bool: the text of v, lower-cased, is one of
// on/true/yes/1 (true) or off/false/no/0 (false); ok is false otherwise.
func ParseBool(v any) (value, ok bool) {
	switch strings.ToLower(PyStr(v)) {
	case "on", "true", "yes", "1":
		return true, true
	case "off", "false", "no", "0":
		return false, true
	}
	return false, false
}

var (
	octRE = regexp.MustCompile(`^[-+]?0[0-7]*`)
	decRE = regexp.MustCompile(`^[-+]?(0|[1-9][0-9]*)`)
	hexRE = regexp.MustCompile(`^[-+]?0x[0-9a-fA-F]+`)
	dblRE = regexp.MustCompile(`^[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?`)
)

// strtol parses a leading C-style integer (hex, octal or decimal).
func strtol(s string) (val float64, rest string, ok bool) {
	s = pyStrip(s)
	for _, c := range []struct {
		re   *regexp.Regexp
		base int
	}{{hexRE, 16}, {octRE, 8}, {decRE, 10}} {
		m := c.re.FindString(s)
		if m == "" {
			continue
		}
		digits := m
		neg := false
		if digits[0] == '-' || digits[0] == '+' {
			neg = digits[0] == '-'
			digits = digits[1:]
		}
		if c.base == 16 {
			digits = digits[2:]
		}
		n, err := strconv.ParseUint(digits, c.base, 64)
		if err != nil {
			return 0, s, false
		}
		val = float64(n)
		if neg {
			val = -val
		}
		return val, s[len(m):], true
	}
	return 0, s, false
}

func strtod(s string) (float64, string, bool) {
	s = pyStrip(s)
	m := dblRE.FindString(s)
	if m == "" {
		return 0, s, false
	}
	f, err := strconv.ParseFloat(m, 64)
	if err != nil {
		return 0, s, false
	}
	return f, s[len(m):], true
}

type unitTable struct {
	order []string
	conv  map[string]map[string]float64
}

var memoryUnits = unitTable{
	order: []string{"TB", "GB", "MB", "kB", "B"},
	conv: map[string]map[string]float64{
		"TB": {"B": 1 << 40, "kB": 1 << 30, "MB": 1 << 20},
		"GB": {"B": 1 << 30, "kB": 1 << 20, "MB": 1 << 10},
		"MB": {"B": 1 << 20, "kB": 1 << 10, "MB": 1},
		"kB": {"B": 1 << 10, "kB": 1, "MB": 1.0 / (1 << 10)},
		"B":  {"B": 1, "kB": 1.0 / (1 << 10), "MB": 1.0 / (1 << 20)},
	},
}

var timeUnits = unitTable{
	order: []string{"d", "h", "min", "s", "ms", "us"},
	conv: map[string]map[string]float64{
		"d":   {"ms": 1000 * 3600 * 24, "s": 3600 * 24, "min": 60 * 24},
		"h":   {"ms": 1000 * 3600, "s": 3600, "min": 60},
		"min": {"ms": 1000 * 60, "s": 60, "min": 1},
		"s":   {"ms": 1000, "s": 1, "min": 1.0 / 60},
		"ms":  {"ms": 1, "s": 1.0 / 1000, "min": 1.0 / (1000 * 60)},
		"us":  {"ms": 1.0 / 1000, "s": 1.0 / 1e6, "min": 1.0 / (1e6 * 60)},
	},
}

func conversionTable(baseUnit string) *unitTable {
	switch baseUnit {
	case "B", "kB", "MB":
		return &memoryUnits
	case "ms", "s", "min":
		return &timeUnits
	}
	return nil
}

// convertToBaseUnit converts value expressed in unit into baseUnit (which may
// carry a multiplier such as "8kB"), rounding to the next smaller unit.
func convertToBaseUnit(value float64, unit, baseUnit string) (float64, bool) {
	mult, bu, ok := strtol(baseUnit)
	if !ok {
		mult = 1
	}
	tbl := conversionTable(bu)
	if tbl == nil || mult == 0 {
		return 0, false
	}
	row, ok := tbl.conv[unit]
	if !ok {
		return 0, false
	}
	factor, ok := row[bu]
	if !ok {
		return 0, false
	}
	value *= factor / mult
	for i, u := range tbl.order {
		if u == unit && i+1 < len(tbl.order) {
			m := tbl.conv[tbl.order[i+1]][bu]
			value = math.RoundToEven(value/m) * m
		}
	}
	return value, true
}

// ParseInt is Patroni's parse_int: a leading integer (decimal, 0x hex or
// 0-prefixed octal) or float, optionally followed by a unit that is converted
// into baseUnit ("" accepts no unit). Python's round-half-to-even is kept.
func ParseInt(v any, baseUnit string) (int64, bool) {
	if v == nil {
		return 0, false
	}
	if _, isBool := v.(bool); isBool {
		return 0, false // str(True) is "True": not a number
	}
	s := PyStr(v)
	val, unit, ok := strtol(s)
	if (!ok && strings.HasPrefix(unit, ".")) || (unit != "" && strings.ContainsRune(".eE", rune(unit[0]))) {
		val, unit, ok = strtod(s)
	}
	if !ok {
		return 0, false
	}
	unit = pyStrip(unit)
	if unit != "" {
		if val, ok = convertToBaseUnit(val, unit, baseUnit); !ok {
			return 0, false
		}
	}
	r := math.RoundToEven(val)
	if math.IsNaN(r) || r > math.MaxInt64 || r < math.MinInt64 {
		return 0, false
	}
	return int64(r), true
}

// pyStrip trims what Python's str.strip() trims (ASCII whitespace here).
func pyStrip(s string) string { return strings.Trim(s, " \t\n\r\v\f") }

// PyStr renders v the way Python's str() would render the equivalent value
// loaded by PyYAML/json (used in messages and in lenient parsing).
func PyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return pyFloat(x)
	case json.Number:
		if _, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return string(x)
		}
		if f, err := x.Float64(); err == nil {
			return pyFloat(f)
		}
		return string(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := sortedKeys(x)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyRepr(k) + ": " + pyRepr(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return "<unknown>"
}

func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	if f == 0 || (math.Abs(f) >= 1e-4 && math.Abs(f) < 1e16) {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	return strconv.FormatFloat(f, 'e', -1, 64)
}

// pyRepr is Python's repr() for the values a config can hold.
func pyRepr(v any) string {
	s, ok := v.(string)
	if !ok {
		return PyStr(v)
	}
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\' || r == rune(q):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x` + strconv.FormatInt(int64(r)|0x100, 16)[1:])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// Truthy is Python's bool(): empty/zero/None values are false.
func Truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case int:
		return x != 0
	case int64:
		return x != 0
	case uint64:
		return x != 0
	case float64:
		return x != 0
	case json.Number:
		f, err := x.Float64()
		return err != nil || f != 0
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
