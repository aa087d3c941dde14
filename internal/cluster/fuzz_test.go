package cluster

import (
	"os"
	"path/filepath"
	"testing"
)

// addGoldenSeeds seeds a fuzz target with every golden value and some hostile inputs.
func addGoldenSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{"", "null", "[]", "{", "a:b", `{"xlog_location":"12"}`, `{"slots":"{\"a\":1}"}`, `[[1]]`, `[["x",2]]`, "1e400", `{"tags":[]}`} {
		f.Add([]byte(s))
	}
}

// fuzzStable checks that decoding never panics and that what we write back reads back
// the same (a value we wrote ourselves is a fixed point).
func fuzzStable(f *testing.F, roundTrip func([]byte) ([]byte, error)) {
	addGoldenSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := roundTrip(in)
		if err != nil || out == nil {
			return
		}
		again, err := roundTrip(out)
		if err != nil {
			t.Fatalf("our own encoding %s does not decode: %v", out, err)
		}
		if string(again) != string(out) {
			t.Fatalf("encoding is not stable:\n%s\n%s", out, again)
		}
	})
}

func FuzzMemberData(f *testing.F) {
	fuzzStable(f, func(b []byte) ([]byte, error) {
		d, _ := ParseMemberData(b)
		return d.Encode()
	})
}

func FuzzFailover(f *testing.F) {
	fuzzStable(f, func(b []byte) ([]byte, error) {
		v, _ := ParseFailover(b)
		return v.Encode()
	})
}

func FuzzSyncState(f *testing.F) {
	fuzzStable(f, func(b []byte) ([]byte, error) {
		v, _ := ParseSyncState(b)
		return v.Encode()
	})
}

func FuzzHistory(f *testing.F) {
	fuzzStable(f, func(b []byte) ([]byte, error) {
		v, _ := ParseHistory(b)
		return v.Encode()
	})
}

func FuzzStatus(f *testing.F) {
	fuzzStable(f, func(b []byte) ([]byte, error) {
		v, _ := ParseStatus(b)
		return v.Encode()
	})
}

func FuzzFailsafe(f *testing.F) {
	fuzzStable(f, func(b []byte) ([]byte, error) {
		v, _ := ParseFailsafe(b)
		return v.Encode()
	})
}

// FuzzView feeds the same bytes to every key of a cluster read: nothing may panic.
func FuzzView(f *testing.F) {
	addGoldenSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		var kvs []KeyValue
		for _, k := range []string{"initialize", "config", "leader", "status", "optime/leader", "failover", "sync", "history", "failsafe", "members/a", "members/" + string(in)} {
			kvs = append(kvs, KeyValue{Key: k, Value: in, ModifyVersion: 1})
		}
		v := Parse(kvs)
		_ = v.IsEmpty()
		_ = v.Timeline()
		_ = v.HasLock("a")
		_ = SlotName(string(in))
	})
}
