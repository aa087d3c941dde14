package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// makeValidateFixture builds the layout of testdata/validate/fixture.sh.
func makeValidateFixture(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	for _, sub := range []string{"bin", "notpg", "pg15/pg_wal", "pg13/pg_wal", "nowal"} {
		must(t, os.MkdirAll(filepath.Join(d, sub), 0o755))
	}
	for _, b := range []string{"pg_ctl", "initdb", "pg_controldata", "pg_basebackup", "pg_isready", "pg_rewind"} {
		writeFile(t, filepath.Join(d, "bin", b), "#!/bin/sh\nexit 0\n", 0o755)
	}
	writeFile(t, filepath.Join(d, "bin", "postgres"),
		"#!/bin/sh\necho \"postgres (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)\"\n", 0o755)
	writeFile(t, filepath.Join(d, "afile"), "x\n", 0o644)
	writeFile(t, filepath.Join(d, "notpg", "x"), "x\n", 0o644)
	writeFile(t, filepath.Join(d, "pg15", "PG_VERSION"), "15\n", 0o644)
	writeFile(t, filepath.Join(d, "pg13", "PG_VERSION"), "13\n", 0o644)
	writeFile(t, filepath.Join(d, "nowal", "PG_VERSION"), "15\n", 0o644)
	return d
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, p, content string, mode os.FileMode) {
	t.Helper()
	must(t, os.WriteFile(p, []byte(content), mode))
}

// nothingListens is a dialer for which every port is closed.
func nothingListens(string, int) (bool, error) { return false, nil }

// TestValidateMatchesPatroni compares Validate with the output of real
// Patroni 4.1.4 `--validate-config` for each testdata/validate case
// (regenerate with testdata/validate/gen.sh).
func TestValidateMatchesPatroni(t *testing.T) {
	dir := makeValidateFixture(t)
	cases, err := filepath.Glob("testdata/validate/*.yml")
	must(t, err)
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range cases {
		name := strings.TrimSuffix(filepath.Base(c), ".yml")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(c)
			must(t, err)
			want, err := os.ReadFile(strings.TrimSuffix(c, ".yml") + ".out")
			must(t, err)
			raw, err := ParseYAMLMap([]byte(strings.ReplaceAll(string(src), "@DIR@", dir)))
			must(t, err)
			var lines []string
			for _, p := range ValidateWith(raw, ValidateOptions{Dial: nothingListens}) {
				lines = append(lines, strings.ReplaceAll(p.String(), dir, "@DIR@"))
			}
			got := strings.Join(lines, "\n")
			if got != strings.TrimRight(string(want), "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
