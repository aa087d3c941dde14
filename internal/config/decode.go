package config

import (
	"fmt"
	"reflect"
	"strings"
)

// FieldError names the configuration key whose value has the wrong type.
type FieldError struct {
	Path  string // dotted path, e.g. "postgresql.pg_ctl_timeout"
	Value any
	Want  string // "a string", "an integer", ...
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %s is not %s", e.Path, pyRepr(e.Value), e.Want)
}

// cfgDecoder lets a type decode itself from a raw configuration value.
type cfgDecoder interface {
	decodeCfg(path string, v any) error
}

var cfgDecoderType = reflect.TypeFor[cfgDecoder]()

// decodeStruct fills the struct pointed to by dst from m. Fields are matched
// by their `cfg` tag; a field tagged `cfg:",extra"` (map[string]any) receives
// the keys no other field claims. Missing and null keys keep the current
// (default) value.
func decodeStruct(path string, m map[string]any, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("%s: internal error: decode target is not a struct pointer", path)
	}
	return decodeStructValue(path, m, rv.Elem())
}

func decodeStructValue(path string, m map[string]any, sv reflect.Value) error {
	st := sv.Type()
	claimed := map[string]bool{}
	extra := -1
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		tag := f.Tag.Get("cfg")
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		if tag == ",extra" {
			extra = i
			continue
		}
		for _, key := range strings.Split(tag, "|") { // "a|b": b is a legacy alias
			claimed[key] = true
		}
		key, v, ok := firstPresent(m, strings.Split(tag, "|"))
		if !ok || v == nil {
			continue
		}
		if err := decodeValue(joinPath(path, key), v, sv.Field(i)); err != nil {
			return err
		}
	}
	if extra >= 0 {
		rest := map[string]any{}
		for k, v := range m {
			if !claimed[k] {
				rest[k] = v
			}
		}
		sv.Field(extra).Set(reflect.ValueOf(rest))
	}
	return nil
}

func firstPresent(m map[string]any, keys []string) (string, any, bool) {
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			return k, v, true
		}
	}
	return "", nil, false
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func decodeValue(path string, v any, dst reflect.Value) error {
	if dst.CanAddr() && dst.Addr().Type().Implements(cfgDecoderType) {
		return dst.Addr().Interface().(cfgDecoder).decodeCfg(path, v)
	}
	switch dst.Kind() {
	case reflect.Pointer:
		nv := reflect.New(dst.Type().Elem())
		if err := decodeValue(path, v, nv.Elem()); err != nil {
			return err
		}
		dst.Set(nv)
		return nil
	case reflect.String:
		s, err := asString(path, v)
		dst.SetString(s)
		return err
	case reflect.Int, reflect.Int64:
		n, err := asInt(path, v)
		dst.SetInt(n)
		return err
	case reflect.Bool:
		b, err := asBool(path, v)
		dst.SetBool(b)
		return err
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return &FieldError{path, v, "a dictionary"}
		}
		return decodeStructValue(path, m, dst)
	case reflect.Slice:
		return decodeSlice(path, v, dst)
	case reflect.Map:
		return decodeMap(path, v, dst)
	case reflect.Interface:
		if v == nil {
			dst.SetZero()
			return nil
		}
		dst.Set(reflect.ValueOf(DeepCopy(v)))
		return nil
	}
	return fmt.Errorf("%s: internal error: unsupported field kind %s", path, dst.Kind())
}

func decodeSlice(path string, v any, dst reflect.Value) error {
	list, ok := v.([]any)
	if !ok {
		return &FieldError{path, v, "an array"}
	}
	out := reflect.MakeSlice(dst.Type(), len(list), len(list))
	for i, e := range list {
		if e == nil {
			continue
		}
		if err := decodeValue(fmt.Sprintf("%s.%d", path, i), e, out.Index(i)); err != nil {
			return err
		}
	}
	dst.Set(out)
	return nil
}

func decodeMap(path string, v any, dst reflect.Value) error {
	m, ok := v.(map[string]any)
	if !ok {
		return &FieldError{path, v, "a dictionary"}
	}
	if dst.Type().Key().Kind() != reflect.String {
		return fmt.Errorf("%s: internal error: map key is not a string", path)
	}
	out := reflect.MakeMapWithSize(dst.Type(), len(m))
	for _, k := range sortedKeys(m) {
		ev := reflect.New(dst.Type().Elem()).Elem()
		if m[k] != nil || ev.Kind() == reflect.Interface {
			if err := decodeValue(joinPath(path, k), m[k], ev); err != nil {
				return err
			}
		}
		out.SetMapIndex(reflect.ValueOf(k).Convert(dst.Type().Key()), ev)
	}
	dst.Set(out)
	return nil
}

// asString accepts strings and, like Python's str(), numbers and booleans.
func asString(path string, v any) (string, error) {
	switch v.(type) {
	case map[string]any, []any:
		return "", &FieldError{path, v, "a string"}
	}
	return PyStr(v), nil
}

// asInt accepts integers, integral floats and numeric strings (parse_int).
func asInt(path string, v any) (int64, error) {
	if _, isBool := v.(bool); !isBool {
		if n, ok := ParseInt(v, ""); ok {
			return n, nil
		}
	}
	return 0, &FieldError{path, v, "an integer"}
}

// asBool accepts booleans and Patroni's boolean words (on/off, yes/no, 1/0).
func asBool(path string, v any) (bool, error) {
	if b, ok := v.(bool); ok {
		return b, nil
	}
	if b, ok := ParseBool(v); ok {
		return b, nil
	}
	return false, &FieldError{path, v, "a boolean"}
}
