package pg

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// readyWAL matches archive_status entries of WAL segments (and partial segments) that
// PostgreSQL had not archived yet.
var readyWAL = regexp.MustCompile(`^[0-9A-F]{24}(\.partial)?\.ready$`)

// ArchiveReadyWAL runs archive_command for every WAL segment still marked .ready, as
// Patroni does before crash recovery and pg_rewind: both would otherwise lose the
// segments' place in the archive (recovery empties archive_status; a rewind may replace
// them). Only with archive_mode on/always and an archive_command; a failure is logged and
// the segment stays .ready.
func (s *Server) ArchiveReadyWAL(ctx context.Context) {
	mode := strings.ToLower(s.opts.Parameters["archive_mode"])
	command := s.opts.Parameters["archive_command"]
	if (mode != "on" && mode != "always") || strings.TrimSpace(command) == "" {
		return
	}
	statusDir := s.dataPath(filepath.Join("pg_wal", "archive_status"))
	entries, err := os.ReadDir(statusDir)
	if err != nil {
		return
	}
	var names []string
	for _, e := range entries {
		if readyWAL.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, status := range names {
		seg := strings.TrimSuffix(status, ".ready")
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", archiveCommand(command, filepath.Join("pg_wal", seg), seg))
		cmd.Dir = s.opts.DataDir
		if out, err := cmd.CombinedOutput(); err != nil {
			s.log.Info("Failed to archive WAL file", "segment", seg, "error", err, "output", strings.TrimSpace(string(out)))
			continue
		}
		if err := os.Rename(filepath.Join(statusDir, status), filepath.Join(statusDir, seg+".done")); err != nil {
			s.log.Warn("archived a WAL file but could not mark it done", "segment", seg, "error", err)
		}
	}
}

// archiveCommand substitutes %p (path relative to the data directory), %f (file name)
// and %% in archive_command, as PostgreSQL does.
func archiveCommand(command, path, file string) string {
	var b strings.Builder
	for i := 0; i < len(command); i++ {
		if command[i] == '%' && i+1 < len(command) {
			switch command[i+1] {
			case 'p':
				b.WriteString(path)
				i++
				continue
			case 'f':
				b.WriteString(file)
				i++
				continue
			case '%':
				b.WriteByte('%')
				i++
				continue
			}
		}
		b.WriteByte(command[i])
	}
	return b.String()
}
