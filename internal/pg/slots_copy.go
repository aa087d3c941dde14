package pg

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// SlotState is a logical slot as the primary has it, with the raw contents of its
// pg_replslot/<name>/state file: a replica gets the slot by installing that file
// while it is stopped (PostgreSQL < 17 cannot create logical slots on a standby).
type SlotState struct {
	Name              string
	Type              string
	Database          string
	Plugin            string
	CatalogXmin       string
	ConfirmedFlushLSN LSN
	Data              []byte
}

// ReadSlotStates reads the named logical slots' state files from the primary
// leader, connecting with the rewind credentials (the rewind role may read files
// in the data directory). A leader that is in recovery returns no rows.
func (s *Server) ReadSlotStates(ctx context.Context, leader *Upstream, names []string) ([]SlotState, error) {
	if leader == nil || len(leader.Conn) == 0 {
		return nil, fmt.Errorf("no leader to copy replication slots from")
	}
	p := leader.Conn.WithUser(s.opts.rewindUser(s.major))
	p["dbname"] = s.opts.database()
	conn, err := Connect(ctx, p)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	filter := ""
	if s.major >= 17 {
		filter = " NOT failover AND"
	}
	rows, err := conn.Query(ctx, `SELECT slot_name, slot_type, datname, plugin, COALESCE(catalog_xmin::text, ''),
 COALESCE(pg_catalog.pg_wal_lsn_diff(confirmed_flush_lsn, '0/0')::bigint, 0),
 pg_catalog.pg_read_binary_file('pg_replslot/' || slot_name || '/state')
 FROM pg_catalog.pg_get_replication_slots() JOIN pg_catalog.pg_database ON datoid = oid
 WHERE`+filter+` NOT pg_catalog.pg_is_in_recovery() AND slot_name = ANY($1)`, names)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SlotState
	for rows.Next() {
		var st SlotState
		var confirmed int64
		if err := rows.Scan(&st.Name, &st.Type, &st.Database, &st.Plugin, &st.CatalogXmin, &confirmed, &st.Data); err != nil {
			return nil, err
		}
		st.ConfirmedFlushLSN = LSN(confirmed)
		out = append(out, st)
	}
	return out, rows.Err()
}

// InstallSlotStates writes slot state files into pg_replslot of the stopped
// server, each through a temporary directory renamed into place, all fsynced;
// PostgreSQL loads them at its next start.
func (s *Server) InstallSlotStates(states []SlotState) error {
	if s.IsRunning() {
		return fmt.Errorf("replication slot files can only be installed while PostgreSQL is stopped")
	}
	dirMode, fileMode := s.dataDirModes()
	base := filepath.Join(s.opts.DataDir, "pg_replslot")
	for _, st := range states {
		if !ValidSlotName(st.Name) {
			return fmt.Errorf("invalid replication slot name %q", st.Name)
		}
		if err := installSlotState(base, st, dirMode, fileMode); err != nil {
			return fmt.Errorf("installing replication slot %s: %w", st.Name, err)
		}
	}
	return syncPath(base)
}

func installSlotState(base string, st SlotState, dirMode, fileMode os.FileMode) error {
	dir := filepath.Join(base, st.Name)
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.Mkdir(tmp, dirMode); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(tmp, "state"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return err
	}
	_, werr := f.Write(st.Data)
	serr := f.Sync()
	cerr := f.Close()
	for _, e := range []error{werr, serr, cerr} {
		if e != nil {
			return e
		}
	}
	if err := syncPath(tmp); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return syncPath(dir)
}

// dataDirModes follows the data directory's group access (initdb -g): 0750/0640,
// else 0700/0600.
func (s *Server) dataDirModes() (dir, file os.FileMode) {
	if fi, err := os.Stat(s.opts.DataDir); err == nil && fi.Mode().Perm()&0o070 != 0 {
		return 0o750, 0o640
	}
	return 0o700, 0o600
}

// syncPath fsyncs a file or directory.
func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
