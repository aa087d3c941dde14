package ctl

import (
	"strings"
	"unicode/utf8"
)

// prettyTable draws a table the way patronictl's PrettyTable subclass does:
// one space of padding, '+', '-' and '|', a title written over the top border
// from its second character, and rules between all rows when any cell spans
// several lines.
type prettyTable struct {
	title   string
	columns []string
	align   map[string]byte // 'l' (default) or 'r', by column name
	rows    [][]string
}

func (t *prettyTable) String() string {
	widths := t.widths()
	hrule := t.hrule(widths)
	allRules := false
	for _, r := range t.rows {
		for _, c := range r {
			if strings.Contains(c, "\n") {
				allRules = true
			}
		}
	}
	var lines []string
	top := hrule
	if t.title != "" {
		top = overwriteTitle(hrule, t.title)
	}
	lines = append(lines, top, t.line(widths, t.columns), hrule)
	for i, r := range t.rows {
		lines = append(lines, t.rowLines(widths, r)...)
		if allRules && i < len(t.rows)-1 {
			lines = append(lines, hrule)
		}
	}
	lines = append(lines, hrule)
	return strings.Join(lines, "\n")
}

func overwriteTitle(line, title string) string {
	lr := []rune(line)
	tr := []rune(title)
	if len(tr) > len(lr)-2 {
		tr = tr[:max(len(lr)-2, 0)]
	}
	return string(lr[0]) + string(tr) + string(lr[1+len(tr):])
}

func textWidth(s string) int { return utf8.RuneCountInString(s) }

func (t *prettyTable) widths() []int {
	w := make([]int, len(t.columns))
	for i, c := range t.columns {
		w[i] = textWidth(c)
	}
	for _, r := range t.rows {
		for i := range w {
			if i >= len(r) {
				continue
			}
			for _, l := range strings.Split(r[i], "\n") {
				w[i] = max(w[i], textWidth(l))
			}
		}
	}
	return w
}

func (t *prettyTable) hrule(widths []int) string {
	var b strings.Builder
	b.WriteByte('+')
	for _, w := range widths {
		b.WriteString(strings.Repeat("-", w+2))
		b.WriteByte('+')
	}
	return b.String()
}

func (t *prettyTable) justify(col int, s string, width int) string {
	pad := strings.Repeat(" ", max(width-textWidth(s), 0))
	if t.align[t.columns[col]] == 'r' {
		return pad + s
	}
	return s + pad
}

func (t *prettyTable) line(widths []int, cells []string) string {
	var b strings.Builder
	b.WriteByte('|')
	for i, w := range widths {
		c := ""
		if i < len(cells) {
			c = cells[i]
		}
		b.WriteString(" " + t.justify(i, c, w) + " |")
	}
	return b.String()
}

func (t *prettyTable) rowLines(widths []int, r []string) []string {
	split := make([][]string, len(widths))
	height := 1
	for i := range widths {
		if i < len(r) {
			split[i] = strings.Split(r[i], "\n")
		}
		height = max(height, len(split[i]))
	}
	out := make([]string, height)
	for h := range height {
		cells := make([]string, len(widths))
		for i := range widths {
			if h < len(split[i]) {
				cells[i] = split[i][h]
			}
		}
		out[h] = t.line(widths, cells)
	}
	return out
}
