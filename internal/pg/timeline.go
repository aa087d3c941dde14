package pg

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// HistoryEntry is one line of a timeline history file: the timeline Parent
// ended at SwitchPoint.
type HistoryEntry struct {
	Parent      uint32
	SwitchPoint LSN
	Reason      string
}

// ParseHistory parses a timeline history file ("1\t0/3000060\treason").
func ParseHistory(text string) ([]HistoryEntry, error) {
	var out []HistoryEntry
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", 3)
		if len(f) < 2 {
			f = strings.Fields(line)
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("bad timeline history line %q", line)
		}
		tli, err := strconv.ParseUint(strings.TrimSpace(f[0]), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("bad timeline in history line %q", line)
		}
		lsn, err := ParseLSN(f[1])
		if err != nil {
			return nil, err
		}
		e := HistoryEntry{Parent: uint32(tli), SwitchPoint: lsn}
		if len(f) > 2 {
			e.Reason = strings.TrimSpace(f[2])
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// SystemInfo is the answer to IDENTIFY_SYSTEM.
type SystemInfo struct {
	SystemID string
	Timeline uint32
	XLogPos  LSN
}

// IdentifySystem runs IDENTIFY_SYSTEM over a replication connection.
func IdentifySystem(ctx context.Context, p ConnParams) (SystemInfo, error) {
	conn, err := Connect(ctx, p.With("replication", "true"))
	if err != nil {
		return SystemInfo{}, err
	}
	defer conn.Close(context.Background())
	res, err := conn.PgConn().Exec(ctx, "IDENTIFY_SYSTEM").ReadAll()
	if err != nil {
		return SystemInfo{}, err
	}
	if len(res) != 1 || len(res[0].Rows) != 1 || len(res[0].Rows[0]) < 3 {
		return SystemInfo{}, fmt.Errorf("unexpected IDENTIFY_SYSTEM result")
	}
	row := res[0].Rows[0]
	tli, err := strconv.ParseUint(string(row[1]), 10, 32)
	if err != nil {
		return SystemInfo{}, fmt.Errorf("bad timeline %q from IDENTIFY_SYSTEM", row[1])
	}
	pos, err := ParseLSN(string(row[2]))
	if err != nil {
		return SystemInfo{}, err
	}
	return SystemInfo{SystemID: string(row[0]), Timeline: uint32(tli), XLogPos: pos}, nil
}

// TimelineHistory fetches the history file of tli over a replication connection.
func TimelineHistory(ctx context.Context, p ConnParams, tli uint32) ([]HistoryEntry, error) {
	conn, err := Connect(ctx, p.With("replication", "true"))
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	res, err := conn.PgConn().Exec(ctx, fmt.Sprintf("TIMELINE_HISTORY %d", tli)).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(res) != 1 || len(res[0].Rows) != 1 || len(res[0].Rows[0]) < 2 {
		return nil, fmt.Errorf("unexpected TIMELINE_HISTORY result")
	}
	return ParseHistory(string(res[0].Rows[0][1]))
}

// DivergenceInput is what the rewind decision needs (ha-loop.md §10.1).
type DivergenceInput struct {
	LocalInRecovery bool
	LocalTimeline   uint32
	LocalLSN        LSN
	LeaderTimeline  uint32
	History         []HistoryEntry // leader's history when LeaderTimeline > local
	// CheckpointEnd is the end of the local shutdown checkpoint record (ex-primary), 0 unknown.
	CheckpointEnd LSN
}

// NeedsRewind decides whether local history diverged from the leader's.
func NeedsRewind(in DivergenceInput) bool {
	switch {
	case in.LocalTimeline > in.LeaderTimeline:
		return true
	case in.LocalTimeline == in.LeaderTimeline:
		return false
	}
	for _, h := range in.History {
		if h.Parent == in.LocalTimeline {
			if in.LocalInRecovery {
				return in.LocalLSN > h.SwitchPoint
			}
			if in.LocalLSN >= h.SwitchPoint {
				return true
			}
			return h.SwitchPoint != in.CheckpointEnd
		}
		if h.Parent > in.LocalTimeline {
			return true
		}
	}
	return true
}
