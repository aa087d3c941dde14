package config

import (
	"reflect"
	"testing"
)

// Expected values were produced by Patroni 4.1.4's parse_int / parse_bool.
func TestParseInt(t *testing.T) {
	cases := []struct {
		in   any
		unit string
		want int64
		ok   bool
	}{
		{"30", "", 30, true}, {" 42 ", "", 42, true}, {"0x1F", "", 31, true}, {"017", "", 15, true},
		{"09", "", 0, false}, {"1.5", "", 2, true}, {"2.5", "", 2, true}, {"0.5", "", 0, true},
		{"1e3", "", 1000, true}, {".5", "", 0, true}, {"30s", "", 0, false}, {"30s", "s", 30, true},
		{"30min", "s", 1800, true}, {"1h", "s", 3600, true}, {"1d", "min", 1440, true},
		{"500ms", "s", 0, true}, {"1500ms", "s", 2, true}, {"128MB", "MB", 128, true},
		{"1GB", "MB", 1024, true}, {"1GB", "kB", 1048576, true}, {"8kB", "MB", 0, true},
		{"16MB", "8kB", 2048, true}, {"1TB", "MB", 1048576, true}, {"abc", "", 0, false},
		{"", "", 0, false}, {"-5", "", -5, true}, {"+7", "", 7, true}, {"10 MB", "MB", 10, true},
		{"10mb", "MB", 0, false}, {"1.5GB", "MB", 1536, true}, {true, "", 0, false}, {30, "", 30, true},
		{1.5, "", 2, true}, {"100us", "ms", 0, true}, {"3e", "s", 0, false}, {nil, "", 0, false},
		{"1e999", "", 0, false}, {"99999999999999999999999", "", 0, false},
	}
	for _, c := range cases {
		got, ok := ParseInt(c.in, c.unit)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseInt(%#v, %q) = %d, %v; want %d, %v", c.in, c.unit, got, ok, c.want, c.ok)
		}
	}
}

func TestParseBool(t *testing.T) {
	cases := []struct {
		in      any
		want    bool
		decided bool
	}{
		{"on", true, true}, {"ON", true, true}, {"Yes", true, true}, {"1", true, true}, {"0", false, true},
		{"off", false, true}, {"no", false, true}, {"false", false, true}, {"maybe", false, false},
		{1, true, true}, {0, false, true}, {true, true, true}, {nil, false, false}, {"t", false, false},
	}
	for _, c := range cases {
		got, ok := ParseBool(c.in)
		if got != c.want || ok != c.decided {
			t.Errorf("ParseBool(%#v) = %v, %v", c.in, got, ok)
		}
	}
}

func TestPyStr(t *testing.T) {
	cases := map[string]any{
		"None": nil, "True": true, "30": 30, "1.5": 1.5, "30.0": 30.0, "1e+16": 1e16, "1e-05": 0.00001,
		"['a', 1, None]": []any{"a", 1, nil}, "{'a': {'b': \"it's\"}}": map[string]any{"a": map[string]any{"b": "it's"}},
	}
	for want, v := range cases {
		if got := PyStr(v); got != want {
			t.Errorf("PyStr(%#v) = %q, want %q", v, got, want)
		}
	}
}

// Expected values were produced by Python's shlex.split.
func TestSplitCommand(t *testing.T) {
	cases := map[string][]string{
		`a "b c" 'd e' f\ g`: {"a", "b c", "d e", "f g"},
		`"a\"b"`:             {`a"b`},
		`"a\nb"`:             {`a\nb`},
		`''`:                 {""},
		`a''b`:               {"ab"},
		`  x  `:              {"x"},
		`a\\b`:               {`a\b`},
		`"\\"`:               {`\`},
		`'a\b'`:              {`a\b`},
		``:                   nil,
	}
	for in, want := range cases {
		got, err := SplitCommand(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`"open`, `'open`, `trailing\`} {
		if _, err := SplitCommand(bad); err == nil {
			t.Errorf("SplitCommand(%q): want an error", bad)
		}
	}
}

func TestPatchAndDeepEqual(t *testing.T) {
	dst := map[string]any{"a": 1, "b": map[string]any{"c": 2, "d": 3}, "e": "x"}
	changed := Patch(dst, map[string]any{"a": "1", "b": map[string]any{"c": nil, "f": 4}, "e": map[string]any{}, "g": nil})
	want := map[string]any{"a": 1, "b": map[string]any{"d": 3, "f": 4}, "e": map[string]any{}}
	if !changed || !reflect.DeepEqual(dst, want) {
		t.Fatalf("Patch: changed=%v %v", changed, dst)
	}
	if !DeepEqual(map[string]any{"a": 1, "b": map[string]any{"c": "x"}}, map[string]any{"a": "1", "b": map[string]any{"c": "x"}}) {
		t.Fatal("DeepEqual compares values by their string form")
	}
	if DeepEqual(map[string]any{"a": map[string]any{}}, map[string]any{"a": "{}"}) {
		t.Fatal("a map never equals a scalar")
	}
}
