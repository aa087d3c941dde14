package pg

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// linkedDirs returns symlinked pg_wal and tablespace dirs: link → target.
func (s *Server) linkedDirs() map[string]string {
	out := map[string]string{}
	check := func(link string) {
		if st, err := os.Lstat(link); err == nil && st.Mode()&os.ModeSymlink != 0 {
			if target, err := filepath.EvalSymlinks(link); err == nil {
				out[link] = target
			}
		}
	}
	check(s.dataPath("pg_wal"))
	if entries, err := os.ReadDir(s.dataPath("pg_tblspc")); err == nil {
		for _, e := range entries {
			check(filepath.Join(s.dataPath("pg_tblspc"), e.Name()))
		}
	}
	return out
}

// RemoveDataDirectory deletes the data directory together with the targets
// of a symlinked pg_wal and of tablespaces. It refuses while postgres runs.
func (s *Server) RemoveDataDirectory() error {
	if s.IsRunning() {
		return errors.New("refusing to remove the data directory: postgres is running")
	}
	d := s.opts.DataDir
	st, err := os.Lstat(d)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	s.log.Info("Removing data directory", "path", d)
	if st.Mode()&os.ModeSymlink != 0 || !st.IsDir() {
		return os.Remove(d)
	}
	for _, target := range s.linkedDirs() {
		if err := os.RemoveAll(target); err != nil {
			return err
		}
	}
	return os.RemoveAll(d)
}

// MoveDataDirectory renames the data directory (and symlinked pg_wal /
// tablespace targets) to <name>.failed, replacing an older .failed copy.
func (s *Server) MoveDataDirectory() error {
	d := s.opts.DataDir
	if st, err := os.Stat(d); err != nil || !st.IsDir() {
		return nil
	}
	if s.IsRunning() {
		return errors.New("refusing to move the data directory: postgres is running")
	}
	for link, target := range s.linkedDirs() {
		nn := target + ".failed"
		if err := os.RemoveAll(nn); err != nil {
			return err
		}
		if err := os.Rename(target, nn); err != nil {
			return err
		}
		if err := os.Remove(link); err != nil {
			return err
		}
		if err := os.Symlink(nn, link); err != nil {
			return err
		}
	}
	nn := d + ".failed"
	if err := os.RemoveAll(nn); err != nil {
		return err
	}
	if err := os.Rename(d, nn); err != nil {
		return fmt.Errorf("renaming data directory to %s: %w", nn, err)
	}
	s.log.Info("renamed data directory", "to", nn)
	return nil
}
