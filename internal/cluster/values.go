package cluster

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// AsInt reads an integer the way Patroni's int() conversion accepts it: a JSON integer,
// an integral float, or a decimal string. Anything else is reported as absent.
func AsInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, true
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<62 {
			return int64(f), true
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<62 {
			return int64(x), true
		}
	case int:
		return int64(x), true
	case int64:
		return x, true
	case string:
		if i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return i, true
		}
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// asInt and truthy are the short names this package's files call.
func asInt(v any) (int64, bool) { return AsInt(v) }

func truthy(v any) bool { return Truthy(v) }

// asString returns v if it is a JSON string.
func asString(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok
}

// Truthy is Python's truthiness for a decoded JSON value (numbers as json.Number or Go
// numbers).
func Truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case json.Number:
		f, err := x.Float64()
		return err == nil && f != 0
	case float64:
		return x != 0
	case int:
		return x != 0
	case int64:
		return x != 0
	case map[string]any:
		return len(x) > 0
	case []any:
		return len(x) > 0
	}
	return true
}

// ParseBool is Patroni's lenient boolean: on/true/yes/1 and off/false/no/0, any case.
// ok is false for anything else.
func ParseBool(v any) (value, ok bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case json.Number, float64, int, int64:
		i, isInt := AsInt(x)
		if isInt && (i == 0 || i == 1) {
			return i == 1, true
		}
		return false, false
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "on", "true", "yes", "1":
			return true, true
		case "off", "false", "no", "0":
			return false, true
		}
	}
	return false, false
}
