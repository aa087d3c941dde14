package ctl

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/patroni-go/patroni/internal/cluster"
)

// listOptions shape one rendering of the member table.
type listOptions struct {
	extended bool
	format   string // pretty, tsv, json, yaml, yml, topology
	group    *int
}

// cell is one value of a row: its text, and the value json/yaml print.
type cell struct {
	text  string
	value any
}

func textCell(s string) cell { return cell{text: s, value: s} }

// outputMembers prints the member table of one cluster (output_members).
func (s *session) outputMembers(v *cluster.View, name string, o listOptions) {
	if o.format == "" {
		o.format = "pretty"
	}
	ci := clusterAsJSON(v)
	columns := []string{"Cluster", "Member", "Host", "Role", "State", "TL",
		"Receive LSN", "Receive Lag", "Replay LSN", "Replay Lag"}
	citus := s.citusEnabled(o.group)
	if citus {
		columns = append([]string{"Cluster", "Group"}, columns[1:]...)
	}
	withHost := make([]memberInfo, 0, len(ci.members))
	for _, m := range ci.members {
		if m.host != "" {
			withHost = append(withHost, m)
		}
	}
	columns = append(columns, optionalColumns(withHost, o.extended)...)
	appendPort := needsPort(withHost)
	members := ci.members
	if o.format == "topology" {
		members = topologySort(members)
	}
	group := 0
	if o.group != nil {
		group = *o.group
	}
	rows := make([][]cell, 0, len(members))
	for _, m := range members {
		rows = append(rows, memberRow(m, name, group, columns, appendPort, o.format))
	}
	title := s.tableTitle(v, name, o.group, citus)
	if o.format == "pretty" || o.format == "topology" {
		for i, c := range columns {
			if c == "Receive Lag" || c == "Replay Lag" {
				columns[i] = "Lag"
			}
		}
	}
	align := map[string]byte{"Group": 'r', "Receive LSN": 'r', "Replay LSN": 'r', "Lag": 'r', "TL": 'r'}
	s.printOutput(columns, rows, align, o.format, title)
	if o.format == "pretty" || o.format == "topology" {
		if info := serviceInfo(ci); len(info) > 0 {
			s.echo(" %s", strings.Join(info, "\n "))
		}
	}
}

func (s *session) tableTitle(v *cluster.View, name string, group *int, citus bool) string {
	init := "uninitialized"
	if v.Initialize != nil {
		init = *v.Initialize
		if init == "" {
			init = "initializing"
		}
	}
	if !citus {
		return fmt.Sprintf(" Cluster: %s (%s) ", name, init)
	}
	if group == nil {
		return fmt.Sprintf(" Citus cluster: %s ", name)
	}
	return fmt.Sprintf(" Citus cluster: %s (group: %d, %s) ", name, *group, init)
}

func optionalColumns(ms []memberInfo, extended bool) []string {
	var cols []string
	has := func(f func(*cluster.Member) bool) bool {
		for _, m := range ms {
			if f(m.m) {
				return true
			}
		}
		return false
	}
	if extended || has(func(m *cluster.Member) bool { return m.PendingRestart }) {
		cols = append(cols, "Pending restart")
	}
	if extended || has(func(m *cluster.Member) bool { return len(m.PendingRestartReason) > 0 }) {
		cols = append(cols, "Pending restart reason")
	}
	if extended || has(func(m *cluster.Member) bool { return len(m.ScheduledRestart) > 0 }) {
		cols = append(cols, "Scheduled restart")
	}
	if extended || has(func(m *cluster.Member) bool { return len(m.Tags) > 0 }) {
		cols = append(cols, "Tags")
	}
	return cols
}

// needsPort: show host:port when a member uses a port other than 5432 or
// two members share a host.
func needsPort(ms []memberInfo) bool {
	hosts := map[string]bool{}
	for _, m := range ms {
		if m.port != 5432 {
			return true
		}
		hosts[m.host] = true
	}
	return len(hosts) < len(ms)
}

func memberRow(m memberInfo, clusterName string, group int, columns []string, appendPort bool, format string) []cell {
	lsn, lag := lsnColumns(m)
	host := m.host
	if appendPort && host != "" && m.port != 0 {
		host = host + ":" + strconv.Itoa(m.port)
	}
	row := make([]cell, 0, len(columns))
	for _, c := range columns {
		var v cell
		switch c {
		case "Cluster":
			v = textCell(clusterName)
		case "Group":
			v = cell{strconv.Itoa(group), int64(group)}
		case "Member":
			v = textCell(m.name)
		case "Host":
			v = textCell(host)
		case "Role":
			v = textCell(titleCase(strings.ReplaceAll(m.role, "_", " ")))
		case "State":
			v = textCell(m.state)
		case "TL":
			v = textCell("")
			if m.m.Timeline != nil {
				v = cell{strconv.FormatInt(*m.m.Timeline, 10), *m.m.Timeline}
			}
		case "Receive LSN", "Replay LSN":
			v = textCell(lsn[c])
		case "Receive Lag", "Replay Lag":
			v = lag[c]
		case "Pending restart":
			v = textCell("")
			if m.m.PendingRestart {
				v = textCell("*")
			}
		case "Pending restart reason":
			v = textCell(restartReason(m.m, format == "pretty" || format == "topology"))
		case "Scheduled restart":
			v = textCell(scheduledRestart(m.m))
		case "Tags":
			v = tagsCell(m.m.Tags, format)
		}
		row = append(row, v)
	}
	return row
}

// lsnColumns applies patronictl's lag rendering: MB rounded half to even,
// empty when unknown, and the pre-4.1 single position placed under receive
// (streaming) or replay when the member reports only that.
func lsnColumns(m memberInfo) (map[string]string, map[string]cell) {
	recv, replay, legacy := m.lsn[0], m.lsn[1], m.lsn[2]
	lsn := map[string]string{}
	lag := map[string]cell{"Receive Lag": textCell(""), "Replay Lag": textCell("")}
	if m.isLeader {
		lsn["Receive LSN"], lsn["Replay LSN"] = "", ""
		return lsn, lag
	}
	if recv.unknown && replay.unknown && !legacy.unknown {
		if m.state == "streaming" {
			recv = legacy
		} else {
			replay = legacy
		}
	}
	lsn["Receive LSN"], lsn["Replay LSN"] = recv.lsn, replay.lsn
	lag["Receive Lag"], lag["Replay Lag"] = lagMB(recv), lagMB(replay)
	return lsn, lag
}

func lagMB(l lsnInfo) cell {
	if l.unknown {
		return textCell("")
	}
	mb := int64(math.RoundToEven(float64(l.lag) / 1024 / 1024))
	return cell{strconv.FormatInt(mb, 10), mb}
}

func restartReason(m *cluster.Member, hideLong bool) string {
	keys := make([]string, 0, len(m.PendingRestartReason))
	for k := range m.PendingRestartReason {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := make([]string, 0, len(keys))
	for _, k := range keys {
		c := m.PendingRestartReason[k]
		full := k + ": " + c.OldValue + "->" + c.NewValue
		if hideLong && len([]rune(full)) > 50 {
			full = k + ": [hidden - too long]"
		}
		lines = append(lines, full)
	}
	return strings.Join(lines, "\n")
}

func scheduledRestart(m *cluster.Member) string {
	if len(m.ScheduledRestart) == 0 {
		return ""
	}
	v := fmt.Sprint(m.ScheduledRestart["schedule"])
	if pv, ok := m.ScheduledRestart["postgres_version"]; ok {
		v += fmt.Sprintf(" if version < %v", pv)
	}
	return v
}

func tagsCell(tags map[string]any, format string) cell {
	if len(tags) == 0 {
		return textCell("")
	}
	switch format {
	case "pretty":
		return textCell(strings.TrimSpace(dumpYAML(tags, false)))
	case "tsv", "topology":
		return textCell(strings.TrimSpace(dumpYAML(tags, true)))
	}
	return cell{text: pyJSON(tags, false), value: tags}
}

// titleCase is Python's str.title().
func titleCase(s string) string {
	var b strings.Builder
	prevLetter := false
	for _, r := range s {
		isLetter := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		switch {
		case isLetter && !prevLetter:
			b.WriteString(strings.ToUpper(string(r)))
		case isLetter:
			b.WriteString(strings.ToLower(string(r)))
		default:
			b.WriteRune(r)
		}
		prevLetter = isLetter
	}
	return b.String()
}

func serviceInfo(ci clusterInfo) []string {
	var info []string
	if ci.paused {
		info = append(info, "Maintenance mode: on")
	}
	if f := ci.scheduled; f != nil {
		line := "Switchover scheduled at: " + cluster.FormatTimestamp(*f.ScheduledAt)
		if f.Leader != "" {
			line += fmt.Sprintf("\n%24s: %s", "from", f.Leader)
		}
		if f.Member != "" {
			line += fmt.Sprintf("\n%24s: %s", "to", f.Member)
		}
		info = append(info, line)
	}
	return info
}

// topologySort orders members as a tree: the leader, then its replicas, each
// followed by the replicas cascading from it, names indented by level.
func topologySort(ms []memberInfo) []memberInfo {
	leader := ""
	hasLeader := false
	replicas := map[string]bool{}
	for _, m := range ms {
		if strings.HasSuffix(m.role, "leader") {
			if !hasLeader {
				leader, hasLeader = m.name, true
			}
		} else {
			replicas[m.name] = true
		}
	}
	children := map[string][]memberInfo{}
	var root *memberInfo
	for i, m := range ms {
		if strings.HasSuffix(m.role, "leader") {
			if m.name == leader && root == nil {
				root = &ms[i]
			}
			continue
		}
		parent := cluster.Tags(m.m.Tags).ReplicateFrom()
		if parent == "" || parent == m.name || !replicas[parent] {
			parent = leader
		}
		children[parent] = append(children[parent], m)
	}
	var out []memberInfo
	var walk func(level int, m memberInfo, key string)
	walk = func(level int, m memberInfo, key string) {
		if level > 0 {
			m.name = strings.Repeat(" ", (level-1)*2) + "+ " + m.name
		}
		if m.name != "" {
			out = append(out, m)
		}
		for _, c := range children[key] {
			walk(level+1, c, c.name)
		}
	}
	if root != nil {
		walk(0, *root, leader)
	} else {
		walk(0, memberInfo{}, "")
	}
	return out
}
