package ctl

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// pyKV is one key of an ordered object (Python dicts keep insertion order).
type pyKV struct {
	Key   string
	Value any
}

// pyObject is an object whose keys print in the given order.
type pyObject []pyKV

// pyJSON encodes v like Python's json.dumps: ", " and ": " separators by
// default (compact: "," and ":"), non-ASCII as \uXXXX, floats as repr().
// Plain maps print with sorted keys (their original order is not known).
func pyJSON(v any, compact bool) string {
	var b strings.Builder
	itemSep, keySep := ", ", ": "
	if compact {
		itemSep, keySep = ",", ":"
	}
	writePyJSON(&b, normalizeValue(v), itemSep, keySep)
	return b.String()
}

func writePyJSON(b *strings.Builder, v any, itemSep, keySep string) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		b.WriteString(pyJSONFloat(x))
	case string:
		writePyString(b, x)
	case pyObject:
		b.WriteByte('{')
		for i, kv := range x {
			if i > 0 {
				b.WriteString(itemSep)
			}
			writePyString(b, kv.Key)
			b.WriteString(keySep)
			writePyJSON(b, normalizeValue(kv.Value), itemSep, keySep)
		}
		b.WriteByte('}')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		obj := make(pyObject, 0, len(keys))
		for _, k := range keys {
			obj = append(obj, pyKV{k, x[k]})
		}
		writePyJSON(b, obj, itemSep, keySep)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(itemSep)
			}
			writePyJSON(b, normalizeValue(e), itemSep, keySep)
		}
		b.WriteByte(']')
	default:
		writePyString(b, fmt.Sprint(x))
	}
}

func pyJSONFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return pyFloatRepr(f)
}

func writePyString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || (r >= 0x7f && r <= 0xffff):
				fmt.Fprintf(b, `\u%04x`, r)
			case r > 0xffff:
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}
