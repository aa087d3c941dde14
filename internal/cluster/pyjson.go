package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// field is one key of a JSON object written in a fixed order, as Patroni writes its values
// (Python dicts keep insertion order and json.dumps follows it).
type field struct {
	key   string
	value any
}

// marshalCompact encodes v the way Python's json.dumps(v, separators=(',', ':')) does:
// no spaces, no HTML escaping, non-ASCII characters as \uXXXX escapes.
func marshalCompact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return asciiEscape(bytes.TrimRight(buf.Bytes(), "\n")), nil
}

// marshalObject writes the fields in order as one compact JSON object.
func marshalObject(fields []field) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := marshalCompact(f.key)
		if err != nil {
			return nil, err
		}
		v, err := marshalCompact(f.value)
		if err != nil {
			return nil, fmt.Errorf("encode %q: %w", f.key, err)
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// asciiEscape replaces every non-ASCII rune (which only occurs inside JSON strings) by
// its \uXXXX escape, using surrogate pairs above the BMP, as Python's ensure_ascii does.
func asciiEscape(b []byte) []byte {
	ascii := true
	for _, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return b
	}
	var sb strings.Builder
	for _, r := range string(b) {
		switch {
		case r < utf8.RuneSelf:
			sb.WriteRune(r)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&sb, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&sb, `\u%04x`, r)
		}
	}
	return []byte(sb.String())
}

// decodeObject parses b as a JSON object, keeping numbers exact. It returns nil and an
// error when b is not a JSON object.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a JSON object")
	}
	return m, nil
}
