package watchdog

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// logBuf collects log lines for assertions.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuf) count(sub string) int { return strings.Count(l.String(), sub) }

func newLogger() (*slog.Logger, *logBuf) {
	lb := &logBuf{}
	h := slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})
	return slog.New(h), lb
}

func testingConfig(mode, path string) Config {
	c := DefaultConfig()
	c.Mode, c.Driver, c.Device = mode, DriverTesting, path
	return c
}

// regularDevice is an empty regular file standing in for the device: one open session
// (the testing driver opens without O_APPEND, so a reopen would overwrite it).
func regularDevice(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "watchdog")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func contents(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// monitor is the reading end of a named pipe, like Patroni's acceptance harness: it
// reopens the pipe after every close and hands each session's bytes to sessions.
type monitor struct {
	path     string
	sessions chan string
	stop     chan struct{}
	done     chan struct{}
}

func newMonitor(t *testing.T) *monitor {
	t.Helper()
	m := &monitor{
		path:     filepath.Join(t.TempDir(), "wd.fifo"),
		sessions: make(chan string, 16),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if err := unix.Mkfifo(m.path, 0o600); err != nil {
		t.Fatal(err)
	}
	go m.run()
	t.Cleanup(m.close)
	return m
}

func (m *monitor) run() {
	defer close(m.done)
	for {
		f, err := os.OpenFile(m.path, os.O_RDONLY, 0)
		if err != nil {
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		select {
		case <-m.stop:
			return
		default:
		}
		m.sessions <- string(b)
	}
}

// close stops the reader: a read-write open never blocks and wakes a reader waiting
// in open; repeated in case the reader had not reached its open yet.
func (m *monitor) close() {
	close(m.stop)
	for {
		if f, err := os.OpenFile(m.path, os.O_RDWR, 0); err == nil {
			f.Close()
		}
		select {
		case <-m.done:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// next returns the bytes of the next closed session.
func (m *monitor) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-m.sessions:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no watchdog session was closed")
		return ""
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustUnusable(t *testing.T, err error, want string) {
	t.Helper()
	if !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want ErrUnusable mentioning %q", err, want)
	}
}
