package ctl

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestDumpYAMLMatchesPyYAML compares with what PyYAML 6.0 printed for the
// same values (testdata/gen_yaml.py): quoting, wrapping, indentation.
func TestDumpYAMLMatchesPyYAML(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "yaml_cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Value json.RawMessage `json:"value"`
		Block string          `json:"block"`
		Flow  string          `json:"flow"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		dec := json.NewDecoder(bytes.NewReader(c.Value))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if got := dumpYAML(v, false); got != c.Block {
			t.Errorf("block %s:\n got %q\nwant %q", c.Value, got, c.Block)
		}
		if got := dumpYAML(v, true); got != c.Flow {
			t.Errorf("flow %s:\n got %q\nwant %q", c.Value, got, c.Flow)
		}
	}
}
