package config

import (
	"testing"
)

// FuzzLoadYAML: any document either fails with an error or yields a Config;
// decoding, validation (with no real I/O) and the effective assembly never panic.
func FuzzLoadYAML(f *testing.F) {
	f.Add([]byte(sampleYAML))
	f.Add([]byte(effLocal))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("x: &x {y: *x}\n"))
	f.Add([]byte("tags: {nofailover: on, failover_priority: '0x10'}\npostgresql: {basebackup: [a, {b: c}, 1]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, err := ParseYAMLMap(data)
		if err != nil {
			return
		}
		if c, err := FromMap(raw); err == nil {
			_, _ = c.DCSType()
			_ = c.Tags.Published()
			_, _ = c.Postgresql.Basebackup.Args("pg_basebackup", BasebackupForbidden...)
		}
		ValidateWith(raw, ValidateOptions{
			Dial:            nothingListens,
			LookPath:        func(string, string) bool { return true },
			PostgresVersion: func(string) (string, error) { return "postgres (PostgreSQL) 15.8", nil },
		})
		if e, err := BuildEffective(section(raw, "dcs"), raw); err == nil {
			_, _ = e.ServerParameters(150000)
			_, _ = e.Config()
		}
	})
}

// FuzzParseDynamic: any JSON document parses to a Dynamic without panicking.
func FuzzParseDynamic(f *testing.F) {
	f.Add([]byte(effDynamic))
	f.Add([]byte(`{"ttl": "x", "slots": {"a": {"type": "logical"}}, "ignore_slots": [1, {"name": 2}]}`))
	f.Add([]byte(`{"synchronous_mode": "quorum", "standby_cluster": {"port": 1e400}, "loop_wait": -5}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, err := DecodeJSONMap(data)
		if err != nil {
			return
		}
		d := ParseDynamic(raw)
		if d.Rejected == nil && (d.TTL < 20 || d.LoopWait < 1 || d.RetryTimeout < 3 || d.LoopWait+2*d.RetryTimeout > d.TTL) {
			t.Fatalf("timing rule violated: ttl %d loop_wait %d retry %d", d.TTL, d.LoopWait, d.RetryTimeout)
		}
		_ = d.IsSynchronousMode()
		_, _ = BuildEffective(raw, map[string]any{"postgresql": map[string]any{"listen": ":5432"}})
	})
}

// FuzzParseInt: parse_int never panics and agrees with itself on re-parsing.
func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"30", "0x1F", "1.5GB", "-017", "1e999", "128MB", " 7 min"} {
		f.Add(s, "MB")
	}
	f.Fuzz(func(t *testing.T, s, unit string) {
		if n, ok := ParseInt(s, unit); ok {
			if m, ok := ParseInt(n, ""); !ok || m != n {
				t.Fatalf("ParseInt(%q,%q) = %d does not round-trip", s, unit, n)
			}
		}
		_, _ = SplitCommand(s)
	})
}
