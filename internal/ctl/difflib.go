package ctl

import (
	"fmt"
	"sort"
	"strings"
)

// unifiedDiff returns the lines of Python's difflib.unified_diff(a, b) with
// empty file names and three lines of context, without line terminators.
// edit-config shows it; matching difflib's grouping keeps the hunks identical
// to Patroni's.
func unifiedDiff(a, b []string) []string {
	m := newMatcher(a, b)
	var out []string
	for _, group := range m.groupedOpcodes(3) {
		if out == nil {
			out = append(out, "--- ", "+++ ")
		}
		first, last := group[0], group[len(group)-1]
		out = append(out, fmt.Sprintf("@@ -%s +%s @@", unifiedRange(first.i1, last.i2), unifiedRange(first.j1, last.j2)))
		for _, op := range group {
			if op.tag == 'e' {
				for _, l := range a[op.i1:op.i2] {
					out = append(out, " "+l)
				}
				continue
			}
			if op.tag == 'r' || op.tag == 'd' {
				for _, l := range a[op.i1:op.i2] {
					out = append(out, "-"+l)
				}
			}
			if op.tag == 'r' || op.tag == 'i' {
				for _, l := range b[op.j1:op.j2] {
					out = append(out, "+"+l)
				}
			}
		}
	}
	return out
}

func unifiedRange(start, stop int) string {
	beginning, length := start+1, stop-start
	if length == 1 {
		return fmt.Sprint(beginning)
	}
	if length == 0 {
		beginning--
	}
	return fmt.Sprintf("%d,%d", beginning, length)
}

// matcher is difflib.SequenceMatcher(None, a, b) with autojunk.
type matcher struct {
	a, b []string
	b2j  map[string][]int
}

type match struct{ i, j, k int }

type opcode struct {
	tag            byte // e(qual) r(eplace) d(elete) i(nsert)
	i1, i2, j1, j2 int
}

func newMatcher(a, b []string) *matcher {
	m := &matcher{a: a, b: b, b2j: map[string][]int{}}
	for i, l := range b {
		m.b2j[l] = append(m.b2j[l], i)
	}
	if n := len(b); n >= 200 {
		ntest := n/100 + 1
		for l, idx := range m.b2j {
			if len(idx) > ntest {
				delete(m.b2j, l)
			}
		}
	}
	return m
}

func (m *matcher) longestMatch(alo, ahi, blo, bhi int) match {
	besti, bestj, bestsize := alo, blo, 0
	j2len := map[int]int{}
	for i := alo; i < ahi; i++ {
		newj2len := map[int]int{}
		for _, j := range m.b2j[m.a[i]] {
			if j < blo {
				continue
			}
			if j >= bhi {
				break
			}
			k := j2len[j-1] + 1
			newj2len[j] = k
			if k > bestsize {
				besti, bestj, bestsize = i-k+1, j-k+1, k
			}
		}
		j2len = newj2len
	}
	for besti > alo && bestj > blo && m.a[besti-1] == m.b[bestj-1] {
		besti, bestj, bestsize = besti-1, bestj-1, bestsize+1
	}
	for besti+bestsize < ahi && bestj+bestsize < bhi && m.a[besti+bestsize] == m.b[bestj+bestsize] {
		bestsize++
	}
	return match{besti, bestj, bestsize}
}

func (m *matcher) matchingBlocks() []match {
	la, lb := len(m.a), len(m.b)
	queue := [][4]int{{0, la, 0, lb}}
	var blocks []match
	for len(queue) > 0 {
		q := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		x := m.longestMatch(q[0], q[1], q[2], q[3])
		if x.k == 0 {
			continue
		}
		blocks = append(blocks, x)
		if q[0] < x.i && q[2] < x.j {
			queue = append(queue, [4]int{q[0], x.i, q[2], x.j})
		}
		if x.i+x.k < q[1] && x.j+x.k < q[3] {
			queue = append(queue, [4]int{x.i + x.k, q[1], x.j + x.k, q[3]})
		}
	}
	sort.Slice(blocks, func(p, q int) bool {
		if blocks[p].i != blocks[q].i {
			return blocks[p].i < blocks[q].i
		}
		return blocks[p].j < blocks[q].j
	})
	var out []match
	cur := match{}
	for _, x := range blocks {
		if cur.i+cur.k == x.i && cur.j+cur.k == x.j {
			cur.k += x.k
			continue
		}
		if cur.k > 0 {
			out = append(out, cur)
		}
		cur = x
	}
	if cur.k > 0 {
		out = append(out, cur)
	}
	return append(out, match{la, lb, 0})
}

func (m *matcher) opcodes() []opcode {
	var out []opcode
	i, j := 0, 0
	for _, x := range m.matchingBlocks() {
		var tag byte
		switch {
		case i < x.i && j < x.j:
			tag = 'r'
		case i < x.i:
			tag = 'd'
		case j < x.j:
			tag = 'i'
		}
		if tag != 0 {
			out = append(out, opcode{tag, i, x.i, j, x.j})
		}
		i, j = x.i+x.k, x.j+x.k
		if x.k > 0 {
			out = append(out, opcode{'e', x.i, i, x.j, j})
		}
	}
	return out
}

func (m *matcher) groupedOpcodes(n int) [][]opcode {
	codes := m.opcodes()
	if len(codes) == 0 {
		codes = []opcode{{'e', 0, 1, 0, 1}}
	}
	if c := &codes[0]; c.tag == 'e' {
		c.i1, c.j1 = max(c.i1, c.i2-n), max(c.j1, c.j2-n)
	}
	if c := &codes[len(codes)-1]; c.tag == 'e' {
		c.i2, c.j2 = min(c.i2, c.i1+n), min(c.j2, c.j1+n)
	}
	var groups [][]opcode
	var group []opcode
	for _, c := range codes {
		if c.tag == 'e' && c.i2-c.i1 > 2*n {
			group = append(group, opcode{'e', c.i1, min(c.i2, c.i1+n), c.j1, min(c.j2, c.j1+n)})
			groups = append(groups, group)
			group = nil
			c.i1, c.j1 = max(c.i1, c.i2-n), max(c.j1, c.j2-n)
		}
		group = append(group, c)
	}
	if len(group) > 0 && !(len(group) == 1 && group[0].tag == 'e') {
		groups = append(groups, group)
	}
	return groups
}

// diffLines splits a YAML rendering the way patronictl's show_diff does.
func diffLines(s string) []string {
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}
