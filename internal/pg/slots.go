package pg

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Slot is one row of pg_replication_slots (temporary slots and, on PG ≥ 17,
// failover slots left out: they are not ours to manage).
type Slot struct {
	Name              string
	Type              string // "physical" or "logical"
	Plugin            string
	Database          string
	DatOID            uint32
	Active            bool
	RestartLSN        LSN // 0 when NULL (a physical slot created without reserving WAL)
	ConfirmedFlushLSN LSN
	Xmin              string // "" when NULL
	CatalogXmin       string // "" when NULL
	WALStatus         string // PG ≥ 13: reserved, extended, unreserved, lost
}

// slotsQuery lists the slots we may manage.
func (s *Server) slotsQuery() string {
	where := "NOT temporary"
	if s.major >= 17 {
		where += " AND NOT failover"
	}
	walStatus := "''"
	if s.major >= 13 {
		walStatus = "COALESCE(wal_status, '')"
	}
	return `SELECT slot_name, slot_type, COALESCE(plugin, ''), COALESCE(database, ''),
 COALESCE(datoid::bigint, 0), active,
 COALESCE(pg_catalog.pg_wal_lsn_diff(restart_lsn, '0/0')::bigint, 0),
 COALESCE(pg_catalog.pg_wal_lsn_diff(confirmed_flush_lsn, '0/0')::bigint, 0),
 COALESCE(xmin::text, ''), COALESCE(catalog_xmin::text, ''), ` + walStatus + `
 FROM pg_catalog.pg_replication_slots WHERE ` + where + ` ORDER BY slot_name`
}

// ReplicationSlots lists the slots on the local server.
func (s *Server) ReplicationSlots(ctx context.Context) ([]Slot, error) {
	var out []Slot
	err := s.withConn(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, s.slotsQuery())
		if err != nil {
			return err
		}
		out = out[:0]
		for rows.Next() {
			var sl Slot
			var datoid, restart, confirmed int64
			if err := rows.Scan(&sl.Name, &sl.Type, &sl.Plugin, &sl.Database, &datoid, &sl.Active, &restart,
				&confirmed, &sl.Xmin, &sl.CatalogXmin, &sl.WALStatus); err != nil {
				return err
			}
			sl.DatOID, sl.RestartLSN, sl.ConfirmedFlushLSN = uint32(datoid), LSN(restart), LSN(confirmed)
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

// ErrWalLevelNotLogical explains a logical slot that cannot be created.
var ErrWalLevelNotLogical = errors.New("wal_level is not logical: logical replication slots need wal_level=logical (a restart is needed after changing it)")

// CreateLogicalSlot creates a logical slot in database with plugin (on the
// primary); an existing slot of that name is not an error.
func (s *Server) CreateLogicalSlot(ctx context.Context, name, database, plugin string) error {
	if !ValidSlotName(name) {
		return fmt.Errorf("invalid replication slot name %q", name)
	}
	conn, err := Connect(ctx, s.LocalConnParams().With("dbname", database))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, `SELECT pg_catalog.pg_create_logical_replication_slot($1, $2)
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1)`, name, plugin)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "55000" && strings.Contains(pe.Message, "wal_level") {
		return fmt.Errorf("%w: %s", ErrWalLevelNotLogical, pe.Message)
	}
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

// DropInactiveSlot drops a slot only if nobody uses it: active reports a slot in
// use (left alone), dropped a slot that was removed; both false when it is absent.
func (s *Server) DropInactiveSlot(ctx context.Context, name string) (active, dropped bool, err error) {
	const q = `WITH slots AS (SELECT slot_name, active FROM pg_catalog.pg_replication_slots WHERE slot_name = $1),
 dropped AS (SELECT pg_catalog.pg_drop_replication_slot(slot_name), true AS dropped FROM slots WHERE NOT active)
 SELECT active, COALESCE(dropped, false) FROM slots FULL OUTER JOIN dropped ON true`
	err = s.withConn(ctx, func(c *pgx.Conn) error {
		err := c.QueryRow(ctx, q, name).Scan(&active, &dropped)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "55006" { // became active between the check and the drop
		return true, false, nil
	}
	return active, dropped, err
}

// AdvanceSlot moves a slot forward to lsn (PG ≥ 11). Advancing to a
// position the slot already passed is a no-op. A logical slot can only be
// advanced from its own database: use AdvanceSlotsInDatabase.
func (s *Server) AdvanceSlot(ctx context.Context, name string, lsn LSN) error {
	if !CanAdvanceSlots(s.major) {
		return fmt.Errorf("replication slots cannot be advanced on PostgreSQL %d", s.major)
	}
	return s.Exec(ctx, `SELECT pg_catalog.pg_replication_slot_advance($1, $2::pg_lsn)
 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1
 AND COALESCE(confirmed_flush_lsn, restart_lsn) < $2::pg_lsn`, name, lsn.String())
}

// AdvanceSlotsInDatabase moves the logical slots of database forward (PG ≥ 11),
// one connection for all of them, without statement timeout: decoding a long
// stretch of WAL can take a while. It returns the error of each slot that failed;
// a connection failure is returned for every slot.
func (s *Server) AdvanceSlotsInDatabase(ctx context.Context, database string, targets map[string]LSN) map[string]error {
	failed := map[string]error{}
	if !CanAdvanceSlots(s.major) {
		for name := range targets {
			failed[name] = fmt.Errorf("replication slots cannot be advanced on PostgreSQL %d", s.major)
		}
		return failed
	}
	conn, err := Connect(ctx, s.LocalConnParams().With("dbname", database).With("options", "-c statement_timeout=0"))
	if err != nil {
		for name := range targets {
			failed[name] = err
		}
		return failed
	}
	defer conn.Close(context.Background())
	for name, lsn := range targets {
		if _, err := conn.Exec(ctx, `SELECT pg_catalog.pg_replication_slot_advance($1, $2::pg_lsn)`,
			name, lsn.String()); err != nil {
			failed[name] = err
		}
	}
	return failed
}

// SlotNeedsCopy reports an advance failure that only a fresh copy of the slot
// from the primary can cure: its WAL is gone (58P01) or it was invalidated (55000).
func SlotNeedsCopy(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "58P01" || pe.Code == "55000")
}
