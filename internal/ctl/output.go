package ctl

import (
	"strings"

	"github.com/patroni-go/patroni/internal/cluster"
)

// printOutput is patronictl's print_output: json/yaml lists of objects keyed
// by column (dropping empty values when the table has a title), tsv lines,
// or a pretty table. For a member list (first column "Cluster") the pretty
// formats drop the Cluster (and Group) columns: the title names them.
func (s *session) printOutput(columns []string, rows [][]cell, align map[string]byte, format, title string) {
	switch format {
	case "json", "yaml", "yml":
		list := make([]any, 0, len(rows))
		for _, r := range rows {
			obj := pyObject{}
			for i, c := range columns {
				if i >= len(r) || (title != "" && r[i].text == "") {
					continue
				}
				obj = append(obj, pyKV{c, r[i].value})
			}
			list = append(list, obj)
		}
		if format == "json" {
			s.echo("%s", pyJSON(list, false))
		} else {
			s.echo("%s", dumpYAML(objectsToMaps(list), false))
		}
		return
	case "tsv":
		s.echo("%s", strings.Join(columns, "\t"))
		for _, r := range rows {
			s.echo("%s", joinCells(r, "\t"))
		}
		return
	}
	listCluster := title != "" && len(columns) > 0 && columns[0] == "Cluster"
	if listCluster {
		skip := 1
		if strings.Contains(title, " (group: ") {
			skip = 2
		}
		columns = columns[skip:]
		for i := range rows {
			rows[i] = rows[i][skip:]
		}
	}
	t := &prettyTable{title: title, columns: columns, align: align}
	for _, r := range rows {
		texts := make([]string, len(r))
		for i, c := range r {
			texts[i] = c.text
		}
		t.rows = append(t.rows, texts)
	}
	s.echo("%s", t.String())
}

func joinCells(r []cell, sep string) string {
	parts := make([]string, len(r))
	for i, c := range r {
		parts[i] = c.text
	}
	return strings.Join(parts, sep)
}

// objectsToMaps turns ordered objects into plain maps for the YAML dumper,
// which sorts keys anyway.
func objectsToMaps(list []any) []any {
	out := make([]any, len(list))
	for i, e := range list {
		obj, ok := e.(pyObject)
		if !ok {
			out[i] = e
			continue
		}
		m := make(map[string]any, len(obj))
		for _, kv := range obj {
			m[kv.Key] = kv.Value
		}
		out[i] = m
	}
	return out
}

// historyRows renders the history key: TL, LSN, Reason, Timestamp, New Leader.
func historyRows(h *cluster.History) [][]cell {
	if h == nil {
		return nil
	}
	rows := make([][]cell, 0, len(h.Lines))
	for _, l := range h.Lines {
		rows = append(rows, []cell{
			{itoa(l.Timeline), l.Timeline}, {itoa(l.LSN), l.LSN},
			textCell(l.Reason), textCell(l.Timestamp), textCell(l.NewLeader),
		})
	}
	return rows
}
