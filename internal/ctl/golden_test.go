package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/config"
	"github.com/patroni-go/patroni/internal/dcs"
)

// The golden files were written by Patroni 4.1.4's own patronictl
// (testdata/gen_golden.py) against a real etcd holding the same fixtures and
// stub REST servers giving the same answers. -update rewrites them from
// this implementation instead (only to review a deliberate difference).
var update = flag.Bool("update", false, "rewrite testdata/golden from this implementation")

type goldenCase struct {
	Name      string   `json:"name"`
	Args      []string `json:"args"`
	Stdin     string   `json:"stdin"`
	API       [][]any  `json:"api"`
	Normalize bool     `json:"normalize"`
	SortSet   bool     `json:"sortset"`
	DCS       bool     `json:"dcs"`
}

var reSet = regexp.MustCompile(`\[([^\]]*)\]\?`)

var reTimestamp = regexp.MustCompile(`\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?(\.\d+)?`)

// fixedNow is a Wednesday in UTC; prompts show it plus one hour.
var fixedNow = time.Date(2026, 1, 7, 10, 20, 30, 123456000, time.UTC)

func TestGolden(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			got := runGoldenCase(t, c)
			path := filepath.Join("testdata", "golden", c.Name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("output differs from Patroni's\n--- got\n%s\n--- want\n%s\n--- diff\n%s", got, want,
					strings.Join(unifiedDiff(strings.Split(string(want), "\n"), strings.Split(got, "\n")), "\n"))
			}
		})
	}
}

// testEnv builds an Env over fake stores (one per scope, from the fixtures)
// and a fake API.
func testEnv(t *testing.T, stdin string, api *fakeAPI, stores map[string]*fakeStore) (*Env, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	now := fixedNow
	env := &Env{
		Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		HomeDir: t.TempDir(), TempDir: t.TempDir(),
		Now: func() time.Time { return now },
		Sleep: func(_ context.Context, d time.Duration) error {
			now = now.Add(d)
			return nil
		},
		OpenStore: func(_ *config.Config, scope string, group *int) (dcs.Store, error) {
			if st, ok := stores[scope]; ok {
				return st, nil
			}
			keys, err := loadFixture(scope)
			if err != nil {
				return nil, err
			}
			stores[scope] = newFakeStore(keys)
			return stores[scope], nil
		},
		NewAPI:   func(*config.Config, bool) (MemberAPI, error) { return api, nil },
		RandIntn: func(int) int { return 0 },
		LookPath: func(string) (string, error) { return "", os.ErrNotExist },
		MaxWatch: 1,
	}
	return env, &stdout, &stderr
}

func runGoldenCase(t *testing.T, c goldenCase) string {
	api := newFakeAPI()
	for _, a := range c.API {
		api.answer(int(a[0].(float64)), a[1].(string), a[2].(string), int(a[3].(float64)), a[4].(string))
	}
	stores := map[string]*fakeStore{}
	env, stdout, stderr := testEnv(t, c.Stdin, api, stores)
	scope := fixtureScope(c.Args)
	before, err := loadFixture(scope)
	if err != nil {
		t.Fatal(err)
	}
	code := Main(context.Background(), c.Args, env)
	out, errText := stdout.String(), keepStderr(stderr.String())
	if c.Normalize {
		out, errText = reTimestamp.ReplaceAllString(out, "<TS>"), reTimestamp.ReplaceAllString(errText, "<TS>")
	}
	if c.SortSet {
		out = reSet.ReplaceAllStringFunc(out, func(m string) string {
			items := strings.Split(m[1:len(m)-2], ", ")
			sort.Strings(items)
			return "[" + strings.Join(items, ", ") + "]?"
		})
	}
	text := out
	if errText != "" {
		text += "--- stderr\n" + errText
	}
	if code != 0 {
		text += fmt.Sprintf("--- exit %d\n", code)
	}
	if c.DCS {
		after := before
		if st, ok := stores[scope]; ok {
			after = st.snapshot()
		}
		text += "--- dcs\n" + dcsChanges(before, after)
	}
	return text
}

// fixtureScope is the first argument naming a fixture (as gen_golden.py).
func fixtureScope(args []string) string {
	for _, a := range args {
		if _, err := os.Stat(filepath.Join("testdata", "clusters", a+".json")); err == nil {
			return a
		}
	}
	return "healthy"
}

// keepStderr keeps what patronictl's contract covers: errors and usage, not
// log lines.
func keepStderr(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		for _, p := range []string{"Error:", "Aborted!", "Usage:", "Try '"} {
			if strings.HasPrefix(l, p) {
				b.WriteString(l)
				break
			}
		}
	}
	return b.String()
}

func canonJSON(v string) string {
	var x any
	if json.Unmarshal([]byte(v), &x) != nil {
		return v
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(x)
	return strings.TrimSuffix(b.String(), "\n")
}

func dcsChanges(before, after map[string]string) string {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		a, ok := after[k]
		switch {
		case !ok:
			fmt.Fprintf(&b, "deleted %s\n", k)
		case before[k] == "" && !hasKey(before, k), canonJSON(before[k]) != canonJSON(a):
			fmt.Fprintf(&b, "set %s %s\n", k, canonJSON(a))
		}
	}
	return b.String()
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}
