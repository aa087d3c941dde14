package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// HistoryLine is one timeline switch: the parent timeline, the switch LSN, the reason,
// and (newer writers) the time and the new leader.
type HistoryLine struct {
	Timeline  int64
	LSN       int64
	Reason    string
	Timestamp string // ISO-8601, "" when the writer did not record it
	NewLeader string // "" when the writer did not record it
	fields    int    // how many elements the line had, to write it back the same way
}

// NewHistoryLine builds a complete five-element line, as Patroni 4.1 writes them.
func NewHistoryLine(tl, lsn int64, reason, timestamp, newLeader string) HistoryLine {
	return HistoryLine{Timeline: tl, LSN: lsn, Reason: reason, Timestamp: timestamp, NewLeader: newLeader, fields: 5}
}

// History is the history key: timeline switches, oldest first.
type History struct {
	Lines   []HistoryLine
	Version int64
}

// Encode writes the JSON array of arrays.
func (h History) Encode() ([]byte, error) {
	out := make([][]any, 0, len(h.Lines))
	for _, l := range h.Lines {
		n := l.fields
		if n == 0 {
			n = 5
		}
		row := []any{l.Timeline, l.LSN, l.Reason, l.Timestamp, l.NewLeader}
		out = append(out, row[:max(3, min(n, 5))])
	}
	return marshalCompact(out)
}

// ParseHistory reads the history array, skipping lines it cannot understand.
func ParseHistory(raw []byte) (History, error) {
	var rows []json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil {
		return History{}, fmt.Errorf("history value is not a JSON array: %w", err)
	}
	var h History
	var bad int
	for _, r := range rows {
		if l, ok := parseHistoryLine(r); ok {
			h.Lines = append(h.Lines, l)
		} else {
			bad++
		}
	}
	if bad > 0 {
		return h, fmt.Errorf("history: skipped %d malformed line(s)", bad)
	}
	return h, nil
}

func parseHistoryLine(r json.RawMessage) (HistoryLine, bool) {
	var items []any
	dec := json.NewDecoder(bytes.NewReader(r))
	dec.UseNumber()
	if dec.Decode(&items) != nil || len(items) < 2 {
		return HistoryLine{}, false
	}
	tl, ok1 := asInt(items[0])
	lsn, ok2 := asInt(items[1])
	if !ok1 || !ok2 {
		return HistoryLine{}, false
	}
	l := HistoryLine{Timeline: tl, LSN: lsn, fields: len(items)}
	if len(items) > 2 {
		l.Reason = fmt.Sprint(orEmpty(items[2]))
	}
	if len(items) > 3 {
		l.Timestamp, _ = asString(items[3])
	}
	if len(items) > 4 {
		l.NewLeader, _ = asString(items[4])
	}
	return l, true
}

// LastTimeline is the newest timeline the history proves: the last switch's parent + 1,
// or 0 when there is no history.
func (h *History) LastTimeline() int64 {
	if h == nil || len(h.Lines) == 0 {
		return 0
	}
	return h.Lines[len(h.Lines)-1].Timeline + 1
}
