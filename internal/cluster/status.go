package cluster

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Status is the status key the leader keeps: its WAL position, the positions of
// permanent (and, in 4.x, member) slots, and the member slots to retain.
type Status struct {
	Optime      int64
	Slots       map[string]int64
	RetainSlots []string
	Present     bool // the key (or the legacy optime/leader key) was found
}

// Encode writes {"optime":..,"slots":{..},"retain_slots":[..]}, omitting empty parts.
func (s Status) Encode() ([]byte, error) {
	fs := []field{{"optime", s.Optime}}
	if len(s.Slots) > 0 {
		fs = append(fs, field{"slots", s.Slots})
	}
	if len(s.RetainSlots) > 0 {
		names := append([]string(nil), s.RetainSlots...)
		sort.Strings(names)
		fs = append(fs, field{"retain_slots", names})
	}
	return marshalObject(fs)
}

// ParseStatus reads a status value: an object, or a bare integer (legacy). An unparsable
// optime counts as 0; slots may be a JSON-encoded string.
func ParseStatus(raw []byte) (Status, error) {
	st := Status{Present: true}
	trimmed := strings.TrimSpace(string(raw))
	var n json.Number
	if err := json.Unmarshal([]byte(trimmed), &n); err == nil {
		st.Optime, _ = asInt(n)
		return st, nil
	}
	obj, err := decodeObject(raw)
	if err != nil {
		return st, fmt.Errorf("status value is not a JSON object: %w", err)
	}
	st.Optime, _ = asInt(obj["optime"])
	slots := obj["slots"]
	if s, ok := slots.(string); ok {
		if m, err := decodeObject([]byte(s)); err == nil {
			slots = m
		}
	}
	if m, ok := slots.(map[string]any); ok {
		st.Slots = make(map[string]int64, len(m))
		for k, v := range m {
			if lsn, ok := asInt(v); ok {
				st.Slots[k] = lsn
			}
		}
	}
	if list, ok := obj["retain_slots"].([]any); ok {
		for _, v := range list {
			if name, ok := asString(v); ok {
				st.RetainSlots = append(st.RetainSlots, name)
			}
		}
	}
	return st, nil
}

// Failsafe is the failsafe key: member name → api_url of every member the leader knew.
type Failsafe map[string]string

// Encode writes the map with sorted keys.
func (f Failsafe) Encode() ([]byte, error) { return marshalCompact(map[string]string(f)) }

// ParseFailsafe reads the failsafe map; nil when the value is not an object.
func ParseFailsafe(raw []byte) (Failsafe, error) {
	obj, err := decodeObject(raw)
	if err != nil {
		return nil, fmt.Errorf("failsafe value is not a JSON object: %w", err)
	}
	f := make(Failsafe, len(obj))
	for k, v := range obj {
		if s, ok := asString(v); ok {
			f[k] = s
		}
	}
	return f, nil
}
