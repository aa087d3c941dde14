package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Python dicts keep insertion order and Patroni's JSON follows it, so request bodies
// and the config key are decoded into obj, which remembers key order. Values are nil,
// bool, json.Number, string, []any or *obj.
type obj struct {
	keys []string
	vals map[string]any
}

func newObj() *obj { return &obj{vals: map[string]any{}} }

func (o *obj) get(k string) (any, bool) { v, ok := o.vals[k]; return v, ok }

func (o *obj) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *obj) del(k string) {
	if _, ok := o.vals[k]; !ok {
		return
	}
	delete(o.vals, k)
	for i, key := range o.keys {
		if key == k {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
}

func (o *obj) len() int { return len(o.keys) }

// clone deep-copies objects and lists (Python's dict.copy() is shallow, but patching
// replaces nested values rather than mutating shared ones, so a deep copy behaves alike).
func (o *obj) clone() *obj {
	c := &obj{keys: append([]string(nil), o.keys...), vals: make(map[string]any, len(o.vals))}
	for k, v := range o.vals {
		c.vals[k] = cloneValue(v)
	}
	return c
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case *obj:
		return x.clone()
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = cloneValue(x[i])
		}
		return out
	}
	return v
}

// decodeOrdered parses one JSON value, keeping object key order and exact numbers.
// Duplicate keys keep the last value at the first position, as Python does.
func decodeOrdered(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := newObj()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				o.set(kt.(string), v)
			}
			_, err := dec.Token()
			return o, err
		case '[':
			list := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	}
	return tok, nil
}

// pyEncoder writes JSON like Python's json.dumps with ensure_ascii: either the
// default separators (", ", ": ") or compact ones (",", ":").
type pyEncoder struct {
	buf     bytes.Buffer
	compact bool
}

func pyDumps(v any) []byte {
	e := &pyEncoder{}
	e.value(v)
	return e.buf.Bytes()
}

func pyDumpsCompact(v any) []byte {
	e := &pyEncoder{compact: true}
	e.value(v)
	return e.buf.Bytes()
}

func (e *pyEncoder) sep() {
	if e.compact {
		e.buf.WriteByte(',')
	} else {
		e.buf.WriteString(", ")
	}
}

func (e *pyEncoder) colon() {
	if e.compact {
		e.buf.WriteByte(':')
	} else {
		e.buf.WriteString(": ")
	}
}

func (e *pyEncoder) value(v any) {
	switch x := v.(type) {
	case nil:
		e.buf.WriteString("null")
	case bool:
		e.buf.WriteString(strconv.FormatBool(x))
	case string:
		e.str(x)
	case json.Number:
		e.buf.WriteString(pyNumber(x))
	case int:
		e.buf.WriteString(strconv.Itoa(x))
	case int64:
		e.buf.WriteString(strconv.FormatInt(x, 10))
	case uint64:
		e.buf.WriteString(strconv.FormatUint(x, 10))
	case float64:
		e.buf.WriteString(pyFloat(x))
	case time.Time:
		e.str(pyStrTime(x))
	case *obj:
		e.object(x.keys, func(k string) any { return x.vals[k] })
	case []any:
		e.list(len(x), func(i int) any { return x[i] })
	case []string:
		e.list(len(x), func(i int) any { return x[i] })
	case map[string]any:
		e.object(sortedKeys(x), func(k string) any { return x[k] })
	case map[string]string:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		e.object(keys, func(k string) any { return x[k] })
	default:
		e.str(fmt.Sprint(x)) // Python's default=str
	}
}

func (e *pyEncoder) object(keys []string, get func(string) any) {
	e.buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			e.sep()
		}
		e.str(k)
		e.colon()
		e.value(get(k))
	}
	e.buf.WriteByte('}')
}

func (e *pyEncoder) list(n int, get func(int) any) {
	e.buf.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			e.sep()
		}
		e.value(get(i))
	}
	e.buf.WriteByte(']')
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

const hexDigits = "0123456789abcdef"

// str writes a JSON string with Python's escapes: \n \r \t \b \f \" \\, other control
// characters and every non-ASCII rune as \uXXXX (surrogate pairs above the BMP).
func (e *pyEncoder) str(s string) {
	b := &e.buf
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || (r >= utf8.RuneSelf && r <= 0xFFFF):
			u4(b, r)
		case r > 0xFFFF:
			r -= 0x10000
			u4(b, 0xD800+(r>>10))
			u4(b, 0xDC00+(r&0x3FF))
		default:
			b.WriteByte(byte(r))
		}
	}
	b.WriteByte('"')
}

func u4(b *bytes.Buffer, r rune) {
	b.WriteString(`\u`)
	for shift := 12; shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(r>>shift)&0xF])
	}
}

// pyNumber renders a decoded JSON number as Python would re-encode it: integers as
// written, floats in repr form.
func pyNumber(n json.Number) string {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		return s
	}
	f, err := n.Float64()
	if err != nil {
		return s
	}
	return pyFloat(f)
}

// pyFloat is Python's float repr: shortest round-trip digits, ".0" for integral
// values, exponent form below 1e-4 and from 1e16.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-4 || abs >= 1e16) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		return s
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// pyStr is Python's str() of a decoded JSON value, which Patroni uses to compare
// config values ("1" equals 1, True is "True").
func pyStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return x
	case json.Number:
		return pyNumber(x)
	}
	return pyRepr(v)
}

func pyRepr(v any) string {
	switch x := v.(type) {
	case string:
		return "'" + strings.ReplaceAll(strings.ReplaceAll(x, `\`, `\\`), "'", `\'`) + "'"
	case []any:
		parts := make([]string, len(x))
		for i := range x {
			parts[i] = pyRepr(x[i])
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *obj:
		parts := make([]string, len(x.keys))
		for i, k := range x.keys {
			parts[i] = pyRepr(k) + ": " + pyRepr(x.vals[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return pyStr(v)
}

// pyStrTime is Python's str(datetime): "2023-08-18 11:03:37.966359+00:00".
func pyStrTime(t time.Time) string {
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02 15:04:05.000000-07:00")
	}
	return t.Format("2006-01-02 15:04:05-07:00")
}

func sortStrings(s []string) { sort.Strings(s) }
