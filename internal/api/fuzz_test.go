package api

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every request-body decoder must answer bad input with an error or a refusal,
// never a panic, and whatever it accepts must re-encode as valid JSON.

func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{`{"ttl":20}`, `{}`, `[]`, `{"a":{"b":null}}`, `{"a":1e400}`, `{"\u00e9":"\ud83d\ude00"}`, `{"a":1,"a":2}`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, ok := decodeRequest(data, true)
		if !ok {
			return
		}
		for _, out := range [][]byte{pyDumps(o), pyDumpsCompact(o)} {
			if !json.Valid(out) {
				t.Fatalf("re-encoded %q as invalid JSON %q", data, out)
			}
		}
	})
}

func FuzzPatchConfig(f *testing.F) {
	f.Add([]byte(baseConfig), []byte(`{"ttl":"30","postgresql":{"parameters":{"max_connections":null}}}`))
	f.Add([]byte(`{"a":[1,2]}`), []byte(`{"a":{"b":1}}`))
	f.Add([]byte(`{"a":{"b":1}}`), []byte(`{"a":null}`))
	f.Fuzz(func(t *testing.T, cfg, patch []byte) {
		c, ok1 := decodeRequest(cfg, true)
		p, ok2 := decodeRequest(patch, false)
		if !ok1 || !ok2 {
			return
		}
		patchObject(c, p)
		if !json.Valid(pyDumpsCompact(c)) {
			t.Fatalf("patched config is not JSON: %q", pyDumpsCompact(c))
		}
		// Applying the same patch again changes nothing.
		if patchObject(c, p) {
			t.Fatalf("patch %q is not idempotent", patch)
		}
	})
}

func FuzzRestartBody(f *testing.F) {
	for _, s := range []string{`{"schedule":"2030-01-01T00:00:00+00:00","role":"replica"}`, `{"timeout":"2min"}`,
		`{"postgres_version":"9.6.1"}`, `{"postgres_version":15}`, `{"restart_pending":true,"foo":1}`, `{"timeout":[]}`} {
		f.Add([]byte(s))
	}
	h := newHarness(f, Config{}, primarySnap())
	f.Fuzz(func(t *testing.T, data []byte) {
		o, ok := decodeRequest(data, true)
		if !ok {
			return
		}
		req, code, msg := parseRestart(o, h.srv)
		if code == 0 && msg != "" || code != 0 && msg == "" {
			t.Fatalf("inconsistent answer %d %q", code, msg)
		}
		if code == 0 && req.Timeout < 0 {
			t.Fatalf("negative timeout accepted from %q", data)
		}
	})
}

func FuzzSwitchoverBody(f *testing.F) {
	for _, s := range []string{`{"leader":"node1","candidate":"node2"}`, `{"member":"node2"}`, `{"leader":1,"scheduled_at":false}`,
		`{"leader":"node1","scheduled_at":"2030-01-01T00:00:00Z"}`, `{"candidate":null}`} {
		f.Add([]byte(s), true)
	}
	h := newHarness(f, Config{}, primarySnap())
	view := testView(baseConfig)
	f.Fuzz(func(t *testing.T, data []byte, switchover bool) {
		o, ok := decodeRequest(data, false)
		if !ok {
			return
		}
		req := parseSwitchover(o)
		action := "failover"
		if switchover {
			action = "switchover"
		}
		code, msg, _ := h.srv.validateFailover(t.Context(), view, flagsOf(view, primarySnap()), &req, &action)
		if msg != "" && code != 400 && code != 412 && code != 422 {
			t.Fatalf("unexpected code %d %q", code, msg)
		}
	})
}

func FuzzFailsafeBody(f *testing.F) {
	for _, s := range []string{`{"name":"n","conn_url":"postgres://h","api_url":"http://h/patroni","slots":{"a":1}}`,
		`{"slots":{"a":"12","b":1.5,"c":null}}`, `{"slots":[]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, ok := decodeRequest(data, false)
		if !ok {
			return
		}
		req := parseFailsafe(o)
		if strings.ContainsRune(req.Name, 0) && req.Name == "" {
			t.Fatal("unreachable")
		}
	})
}
