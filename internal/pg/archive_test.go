package pg

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

func TestArchiveCommandSubstitution(t *testing.T) {
	got := archiveCommand(`cp %p /a/%f && echo 100%% %x`, "pg_wal/000000010000000000000003", "000000010000000000000003")
	if want := `cp pg_wal/000000010000000000000003 /a/000000010000000000000003 && echo 100% %x`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Segments still marked .ready are archived (and marked .done) before recovery or a
// rewind could lose them; a failing archive_command leaves them .ready.
func TestArchiveReadyWAL(t *testing.T) {
	data := t.TempDir()
	archive := t.TempDir()
	status := filepath.Join(data, "pg_wal", "archive_status")
	if err := os.MkdirAll(status, 0o700); err != nil {
		t.Fatal(err)
	}
	segs := []string{"000000010000000000000003", "000000010000000000000004.partial"}
	for _, s := range segs {
		os.WriteFile(filepath.Join(data, "pg_wal", s), []byte("wal"), 0o600)
		os.WriteFile(filepath.Join(status, s+".ready"), nil, 0o600)
	}
	os.WriteFile(filepath.Join(status, "00000002.history.ready"), nil, 0o600) // not a segment
	s := &Server{opts: Options{DataDir: data, Parameters: map[string]string{
		"archive_mode": "on", "archive_command": "cp %p " + archive + "/%f"}}, log: slog.New(slog.DiscardHandler)}
	s.ArchiveReadyWAL(context.Background())
	for _, seg := range segs {
		if _, err := os.Stat(filepath.Join(archive, seg)); err != nil {
			t.Errorf("%s was not archived: %v", seg, err)
		}
		if _, err := os.Stat(filepath.Join(status, seg+".done")); err != nil {
			t.Errorf("%s not marked done: %v", seg, err)
		}
	}
	if _, err := os.Stat(filepath.Join(status, "00000002.history.ready")); err != nil {
		t.Error("only WAL segments are archived here")
	}

	os.WriteFile(filepath.Join(status, "000000010000000000000005.ready"), nil, 0o600)
	s.opts.Parameters["archive_command"] = "false"
	s.ArchiveReadyWAL(context.Background())
	if _, err := os.Stat(filepath.Join(status, "000000010000000000000005.ready")); err != nil {
		t.Error("a segment whose archiving failed must stay .ready")
	}
	s.opts.Parameters["archive_mode"] = "off"
	s.opts.Parameters["archive_command"] = "touch " + filepath.Join(archive, "ran")
	s.ArchiveReadyWAL(context.Background())
	if _, err := os.Stat(filepath.Join(archive, "ran")); err == nil {
		t.Error("archive_mode off: nothing is archived")
	}
}
