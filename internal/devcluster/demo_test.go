package devcluster

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The demo refuses, with a clear message and before starting anything, to run twice,
// without its binaries, or without PostgreSQL.
func TestDemoRefusesBadSetups(t *testing.T) {
	bins := t.TempDir()
	for _, b := range []string{"patroni", "patronictl"} {
		if err := os.WriteFile(filepath.Join(bins, b), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		opts DemoOptions
		lock bool
		want string
	}{
		{"started twice", DemoOptions{BinDir: bins}, true, "already running"},
		{"no binaries", DemoOptions{BinDir: t.TempDir()}, false, "no patroni binary"},
		{"no PostgreSQL", DemoOptions{BinDir: bins, PGBinDir: "/nonexistent"}, false, "PostgreSQL is not installed"},
		{"root without a user", DemoOptions{BinDir: bins, User: "no-such-user-here"}, false, "no unprivileged user"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.opts.User != "" && os.Geteuid() != 0 {
				t.Skip("the user check only applies when started as root")
			}
			if c.lock {
				f, err := os.OpenFile(demoLock, os.O_CREATE|os.O_RDWR, 0o644)
				if err != nil {
					t.Skip("cannot open the demo lock file:", err)
				}
				defer f.Close()
				if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
					t.Skip("another demo runs on this machine")
				}
				defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			}
			var out strings.Builder
			err := RunDemo(c.opts, &out, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error containing %q, got %v", c.want, err)
			}
			if out.Len() != 0 {
				t.Errorf("nothing should have started, but it printed:\n%s", out.String())
			}
		})
	}
}
