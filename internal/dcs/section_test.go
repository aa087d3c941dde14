package dcs

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseBool(t *testing.T) {
	for v, want := range map[any]bool{true: true, false: false, "ON": true, " yes ": true, "1": true,
		"off": false, "No": false, "0": false, 1: true, 0: false} {
		if got, err := ParseBool(v); err != nil || got != want {
			t.Errorf("ParseBool(%#v) = %v, %v; want %v", v, got, err, want)
		}
	}
	for _, bad := range []any{nil, "", "maybe", 2, int64(1), 1.0, []any{}} {
		if _, err := ParseBool(bad); err == nil || !strings.Contains(err.Error(), "not a boolean") {
			t.Errorf("ParseBool(%#v) error = %v, want not a boolean", bad, err)
		}
	}
}

func TestScalarString(t *testing.T) {
	for v, want := range map[any]string{"a": "a", 1234: "1234", int64(7): "7", 2.5: "2.5"} {
		if got, ok := ScalarString(v); !ok || got != want {
			t.Errorf("ScalarString(%#v) = %q, %v; want %q", v, got, ok, want)
		}
	}
	for _, bad := range []any{nil, true, []any{}, map[string]any{}} {
		if _, ok := ScalarString(bad); ok {
			t.Errorf("ScalarString(%#v) accepted", bad)
		}
	}
}

func TestSplitList(t *testing.T) {
	cases := []struct {
		in   any
		want []string
	}{
		{nil, nil},
		{"", nil},
		{"a:1, 'b:2' ,\"c\",", []string{"a:1", "b:2", "c"}},
		{[]string{" a ", "", "'b'"}, []string{"a", "b"}},
		{[]any{"a", 1}, []string{"a", "1"}},
	}
	for _, c := range cases {
		got, err := SplitList(c.in, ScalarString, "%v is bad")
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitList(%#v) = %#v, %v; want %#v", c.in, got, err, c.want)
		}
	}
	if _, err := SplitList([]any{"a", true}, ScalarString, "item %v is bad"); err == nil || err.Error() != "item true is bad" {
		t.Errorf("bad item error = %v, want the caller's wording", err)
	}
	if _, err := SplitList(42, ScalarString, "%v"); err == nil {
		t.Error("SplitList(42) accepted")
	}
}

func TestSplitHostPort(t *testing.T) {
	cases := map[string][2]string{
		"h": {"h", "99"}, "h:1": {"h", "1"}, "h:": {"h", ""}, "::1": {"::1", "99"},
		"[::1]": {"::1", "99"}, "[::1]:5": {"::1", "5"}, ":5": {"", "5"}, "::1:5": {"::1:5", "99"},
	}
	for in, want := range cases {
		host, port, ok := SplitHostPort(in, 99)
		if !ok || host != want[0] || port != want[1] {
			t.Errorf("SplitHostPort(%q) = %q, %q, %v; want %q, %q", in, host, port, ok, want[0], want[1])
		}
	}
	for _, bad := range []string{"a:b:c", "[x]:1:2", "g::1"} {
		if host, port, ok := SplitHostPort(bad, 99); ok {
			t.Errorf("SplitHostPort(%q) = %q, %q; want a refusal", bad, host, port)
		}
	}
}

func TestTimingWithDefaults(t *testing.T) {
	got := Timing{TTL: 20 * time.Second}.WithDefaults()
	want := Timing{TTL: 20 * time.Second, LoopWait: DefaultTiming.LoopWait, RetryTimeout: DefaultTiming.RetryTimeout}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if (Timing{TTL: -1}).WithDefaults() != DefaultTiming {
		t.Error("unset and negative durations take Patroni's defaults")
	}
}
