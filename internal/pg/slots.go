package pg

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Slot is one row of pg_replication_slots.
type Slot struct {
	Name              string
	Type              string // "physical" or "logical"
	Plugin            string
	Database          string
	Active            bool
	RestartLSN        LSN
	ConfirmedFlushLSN LSN
	CatalogXmin       string
}

// ReplicationSlots lists the slots on the local server.
func (s *Server) ReplicationSlots(ctx context.Context) ([]Slot, error) {
	const q = `SELECT slot_name, slot_type, COALESCE(plugin, ''), COALESCE(database, ''), active,
 COALESCE(pg_catalog.pg_wal_lsn_diff(restart_lsn, '0/0')::bigint, 0),
 COALESCE(pg_catalog.pg_wal_lsn_diff(confirmed_flush_lsn, '0/0')::bigint, 0),
 COALESCE(catalog_xmin::text, '')
 FROM pg_catalog.pg_replication_slots ORDER BY slot_name`
	var out []Slot
	err := s.withConn(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, q)
		if err != nil {
			return err
		}
		out = out[:0]
		for rows.Next() {
			var sl Slot
			var restart, confirmed int64
			if err := rows.Scan(&sl.Name, &sl.Type, &sl.Plugin, &sl.Database, &sl.Active, &restart,
				&confirmed, &sl.CatalogXmin); err != nil {
				return err
			}
			sl.RestartLSN, sl.ConfirmedFlushLSN = LSN(restart), LSN(confirmed)
			out = append(out, sl)
		}
		return rows.Err()
	})
	return out, err
}

// CreatePhysicalSlot creates a physical slot reserving WAL immediately;
// an existing slot of that name is not an error.
func (s *Server) CreatePhysicalSlot(ctx context.Context, name string) error {
	if !ValidSlotName(name) {
		return fmt.Errorf("invalid replication slot name %q", name)
	}
	return s.Exec(ctx, `SELECT pg_catalog.pg_create_physical_replication_slot($1, true)
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1)`, name)
}

// CreateLogicalSlot creates a logical slot in database with plugin (on the
// primary); an existing slot of that name is not an error.
func (s *Server) CreateLogicalSlot(ctx context.Context, name, database, plugin string) error {
	if !ValidSlotName(name) {
		return fmt.Errorf("invalid replication slot name %q", name)
	}
	p := s.LocalConnParams().With("dbname", database)
	conn, err := Connect(ctx, p)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, `SELECT pg_catalog.pg_create_logical_replication_slot($1, $2)
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1)`, name, plugin)
	return err
}

// DropSlot drops a slot; the walsender holding it is terminated first.
// A missing slot is not an error.
func (s *Server) DropSlot(ctx context.Context, name string) error {
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		err = s.Exec(ctx, `SELECT pg_catalog.pg_terminate_backend(active_pid)
 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`, name)
		if err != nil {
			return err
		}
		err = s.Exec(ctx, `SELECT pg_catalog.pg_drop_replication_slot(slot_name)
 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1`, name)
		if err == nil || !strings.Contains(err.Error(), "is active") {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return err
}

// AdvanceSlot moves a slot forward to lsn (PG ≥ 11). Advancing to a
// position the slot already passed is a no-op.
func (s *Server) AdvanceSlot(ctx context.Context, name string, lsn LSN) error {
	if !CanAdvanceSlots(s.major) {
		return fmt.Errorf("replication slots cannot be advanced on PostgreSQL %d", s.major)
	}
	return s.Exec(ctx, `SELECT pg_catalog.pg_replication_slot_advance($1, $2::pg_lsn)
 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1
 AND COALESCE(confirmed_flush_lsn, restart_lsn) < $2::pg_lsn`, name, lsn.String())
}
