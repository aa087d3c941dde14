package ctl

import (
	"fmt"
	"strings"
)

// scalarAnalysis is PyYAML's Emitter.analyze_scalar result (allow_unicode on).
type scalarAnalysis struct {
	empty, multiline                  bool
	allowFlowPlain, allowBlockPlain   bool
	allowSingleQuoted, allowBlockText bool
}

func isYAMLSpace(r rune) bool {
	return r == 0 || r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == 0x85 || r == 0x2028 || r == 0x2029
}

func isYAMLBreak(r rune) bool { return r == '\n' || r == 0x85 || r == 0x2028 || r == 0x2029 }

func isPrintableUnicode(r rune) bool {
	return r == 0x85 || (r >= 0xA0 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r < 0x10FFFF)
}

type scalarFlags struct {
	blockInd, flowInd, lineBreaks, special                   bool
	leadingSpace, leadingBreak, trailingSpace, trailingBreak bool
	breakSpace, spaceBreak                                   bool
}

func analyzeScalar(s string) scalarAnalysis {
	if s == "" {
		return scalarAnalysis{empty: true, allowBlockPlain: true, allowSingleQuoted: true}
	}
	f := scanScalar([]rune(s))
	a := scalarAnalysis{multiline: f.lineBreaks, allowFlowPlain: true, allowBlockPlain: true,
		allowSingleQuoted: true, allowBlockText: true}
	if f.leadingSpace || f.leadingBreak || f.trailingSpace || f.trailingBreak {
		a.allowFlowPlain, a.allowBlockPlain = false, false
	}
	if f.trailingSpace {
		a.allowBlockText = false
	}
	if f.breakSpace {
		a.allowFlowPlain, a.allowBlockPlain, a.allowSingleQuoted = false, false, false
	}
	if f.spaceBreak || f.special {
		a.allowFlowPlain, a.allowBlockPlain, a.allowSingleQuoted, a.allowBlockText = false, false, false, false
	}
	if f.lineBreaks {
		a.allowFlowPlain, a.allowBlockPlain = false, false
	}
	if f.flowInd {
		a.allowFlowPlain = false
	}
	if f.blockInd {
		a.allowBlockPlain = false
	}
	return a
}

func scanScalar(rs []rune) scalarFlags {
	var f scalarFlags
	s := string(rs)
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		f.blockInd, f.flowInd = true, true
	}
	precededByWS := true
	followedByWS := len(rs) == 1 || isYAMLSpace(rs[1])
	prevSpace, prevBreak := false, false
	for i, ch := range rs {
		if i == 0 {
			if strings.ContainsRune("#,[]{}&*!|>'\"%@`", ch) {
				f.flowInd, f.blockInd = true, true
			}
			if ch == '?' || ch == ':' {
				f.flowInd = true
				if followedByWS {
					f.blockInd = true
				}
			}
			if ch == '-' && followedByWS {
				f.flowInd, f.blockInd = true, true
			}
		} else {
			if strings.ContainsRune(",?[]{}", ch) {
				f.flowInd = true
			}
			if ch == ':' {
				f.flowInd = true
				if followedByWS {
					f.blockInd = true
				}
			}
			if ch == '#' && precededByWS {
				f.flowInd, f.blockInd = true, true
			}
		}
		if isYAMLBreak(ch) {
			f.lineBreaks = true
		}
		if !(ch == '\n' || (ch >= 0x20 && ch <= 0x7E)) {
			if !isPrintableUnicode(ch) || ch == 0xFEFF {
				f.special = true
			}
		}
		switch {
		case ch == ' ':
			f.leadingSpace = f.leadingSpace || i == 0
			f.trailingSpace = f.trailingSpace || i == len(rs)-1
			f.breakSpace = f.breakSpace || prevBreak
			prevSpace, prevBreak = true, false
		case isYAMLBreak(ch):
			f.leadingBreak = f.leadingBreak || i == 0
			f.trailingBreak = f.trailingBreak || i == len(rs)-1
			f.spaceBreak = f.spaceBreak || prevSpace
			prevSpace, prevBreak = false, true
		default:
			prevSpace, prevBreak = false, false
		}
		precededByWS = isYAMLSpace(ch)
		followedByWS = i+2 >= len(rs) || isYAMLSpace(rs[i+2])
	}
	return f
}

func (e *yamlEmitter) writePlain(text string, split bool) {
	if text == "" {
		return
	}
	if !e.whitespace {
		e.write(" ")
	}
	e.whitespace, e.indention = false, false
	rs := []rune(text)
	spaces := false
	start := 0
	for end := 0; end <= len(rs); end++ {
		var ch rune = -1
		if end < len(rs) {
			ch = rs[end]
		}
		if spaces {
			if ch != ' ' {
				if start+1 == end && e.column > yamlBestWidth && split {
					e.writeIndent()
					e.whitespace, e.indention = false, false
				} else {
					e.write(string(rs[start:end]))
				}
				start = end
			}
		} else if ch == -1 || ch == ' ' || isYAMLBreak(ch) {
			e.write(string(rs[start:end]))
			start = end
		}
		if ch != -1 {
			spaces = ch == ' '
		}
	}
}

func (e *yamlEmitter) writeSingleQuoted(text string, split bool) {
	e.writeIndicator("'", true, false, false)
	rs := []rune(text)
	spaces, breaks := false, false
	start := 0
	for end := 0; end <= len(rs); end++ {
		var ch rune = -1
		if end < len(rs) {
			ch = rs[end]
		}
		switch {
		case spaces:
			if ch != ' ' {
				if start+1 == end && e.column > yamlBestWidth && split && start != 0 && end != len(rs) {
					e.writeIndent()
				} else {
					e.write(string(rs[start:end]))
				}
				start = end
			}
		case breaks:
			if ch == -1 || !isYAMLBreak(ch) {
				if rs[start] == '\n' {
					e.writeLineBreak()
				}
				for _, br := range rs[start:end] {
					if br == '\n' {
						e.writeLineBreak()
					} else {
						e.b.WriteRune(br)
						e.whitespace, e.indention, e.column = true, true, 0
					}
				}
				e.writeIndent()
				start = end
			}
		default:
			if ch == -1 || ch == ' ' || isYAMLBreak(ch) || ch == '\'' {
				if start < end {
					e.write(string(rs[start:end]))
					start = end
				}
			}
		}
		if ch == '\'' {
			e.write("''")
			start = end + 1
		}
		if ch != -1 {
			spaces, breaks = ch == ' ', isYAMLBreak(ch)
		}
	}
	e.writeIndicator("'", false, false, false)
}

var yamlEscapes = map[rune]string{
	0: "0", 0x07: "a", 0x08: "b", 0x09: "t", 0x0A: "n", 0x0B: "v", 0x0C: "f", 0x0D: "r", 0x1B: "e",
	'"': "\"", '\\': "\\", 0x85: "N", 0xA0: "_", 0x2028: "L", 0x2029: "P",
}

func needsDoubleEscape(ch rune) bool {
	if ch == '"' || ch == '\\' || ch == 0x85 || ch == 0x2028 || ch == 0x2029 || ch == 0xFEFF {
		return true
	}
	return !((ch >= 0x20 && ch <= 0x7E) || (ch >= 0xA0 && ch <= 0xD7FF) || (ch >= 0xE000 && ch <= 0xFFFD))
}

func (e *yamlEmitter) writeDoubleQuoted(text string, split bool) {
	e.writeIndicator("\"", true, false, false)
	rs := []rune(text)
	start := 0
	for end := 0; end <= len(rs); end++ {
		var ch rune = -1
		if end < len(rs) {
			ch = rs[end]
		}
		if ch == -1 || needsDoubleEscape(ch) {
			if start < end {
				e.write(string(rs[start:end]))
				start = end
			}
			if ch != -1 {
				e.write(doubleEscape(ch))
				start = end + 1
			}
		}
		if end > 0 && end < len(rs)-1 && (ch == ' ' || start >= end) &&
			e.column+(end-start) > yamlBestWidth && split {
			data := string(rs[start:end]) + "\\"
			if start < end {
				start = end
			}
			e.write(data)
			e.writeIndent()
			e.whitespace, e.indention = false, false
			if rs[start] == ' ' {
				e.write("\\")
			}
		}
	}
	e.writeIndicator("\"", false, false, false)
}

func doubleEscape(ch rune) string {
	if s, ok := yamlEscapes[ch]; ok {
		return "\\" + s
	}
	switch {
	case ch <= 0xFF:
		return fmt.Sprintf("\\x%02X", ch)
	case ch <= 0xFFFF:
		return fmt.Sprintf("\\u%04X", ch)
	}
	return fmt.Sprintf("\\U%08X", ch)
}
