package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// patroniHandler writes log records the way Patroni's default format does
// ("2024-05-02 10:00:00,123 INFO: message"), with slog attributes appended.
type patroniHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	level slog.Leveler
	attrs string
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToUpper(level) {
	case "DEBUG":
		l = slog.LevelDebug
	case "WARN", "WARNING":
		l = slog.LevelWarn
	case "ERROR", "CRITICAL", "FATAL":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(&patroniHandler{mu: &sync.Mutex{}, w: w, level: l})
}

func (h *patroniHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *patroniHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	fmt.Fprintf(&b, "%s,%03d %s: %s", t.Format("2006-01-02 15:04:05"), t.Nanosecond()/1e6, levelName(r.Level), r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value.Any())
		return true
	})
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

// levelCritical is Patroni's CRITICAL, above ERROR (fatal conditions before exiting).
const levelCritical = slog.LevelError + 4

func levelName(l slog.Level) string {
	switch {
	case l >= levelCritical:
		return "CRITICAL"
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= slog.LevelInfo:
		return "INFO"
	default:
		return "DEBUG"
	}
}

func (h *patroniHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range as {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value.Any())
	}
	n.attrs = b.String()
	return &n
}

func (h *patroniHandler) WithGroup(string) slog.Handler { return h }
