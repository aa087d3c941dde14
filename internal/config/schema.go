package config

import (
	"fmt"
	"strconv"
	"strings"
)

// This file is a small schema engine with the semantics of Patroni's
// validator (required/optional keys, "one of" keys, alternatives, levels),
// so that --validate-config reports the same lines as Patroni.

// result is one validation outcome; failed ones become Problems.
type result struct {
	ok    bool
	err   string
	level int
	path  string
	data  any
}

// vnode validates one value.
type vnode interface {
	check(v any, c *vctx) []result
}

func fail(err string, level int, data any) result {
	return result{err: err, level: level, data: data}
}

func pass(data any) result { return result{ok: true, data: data} }

// pyType is a Python type check: int accepts booleans, as isinstance does.
type pyType string

const (
	tStr  pyType = "a string"
	tInt  pyType = "an integer"
	tBool pyType = "a boolean"
	tList pyType = "an array"
	tDict pyType = "a dictionary"
)

func (t pyType) is(v any) bool {
	switch t {
	case tStr:
		_, ok := v.(string)
		return ok
	case tInt:
		switch v.(type) {
		case int, int64, uint64, bool:
			return true
		}
		return false
	case tBool:
		_, ok := v.(bool)
		return ok
	case tList:
		_, ok := v.([]any)
		return ok
	case tDict:
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func (t pyType) check(v any, _ *vctx) []result {
	if t.is(v) {
		return []result{pass(v)}
	}
	return []result{fail("is not "+string(t), 1, v)}
}

// fn is a validation function; expected (if set) is checked first.
type fn struct {
	expected pyType
	f        func(v any, c *vctx) error
}

func (n fn) check(v any, c *vctx) []result {
	if n.expected != "" && !n.expected.is(v) {
		return []result{fail("is not "+string(n.expected), 1, v)}
	}
	if err := n.f(v, c); err != nil {
		return []result{fail("didn't pass validation: "+err.Error(), 0, v)}
	}
	return []result{pass(v)}
}

// listOf validates a list and, when elem is set, each element.
type listOf struct{ elem vnode }

func (n listOf) check(v any, c *vctx) []result {
	list, ok := v.([]any)
	if !ok {
		return []result{fail("is not a list", 1, v)}
	}
	var out []result
	if len(list) == 0 {
		out = append(out, fail("is an empty list", 0, v))
	}
	if n.elem == nil {
		return out
	}
	for i, e := range list {
		for _, r := range n.elem.check(e, c) {
			r.path = joinResultPath(strconv.Itoa(i), r.path)
			r.data = e
			out = append(out, r)
		}
	}
	return out
}

// anyOf passes when one alternative passes; otherwise it reports the
// failures of the lowest level, like Patroni's Or.
type anyOf []vnode

func (n anyOf) check(v any, c *vctx) []result {
	var results []result
	for _, alt := range n {
		r := alt.check(v, c)
		if anyOK(r) && !allOK(r) {
			for _, x := range r {
				if !x.ok {
					results = append(results, x)
				}
			}
		} else {
			results = append(results, r...)
		}
	}
	if anyOK(results) {
		return nil
	}
	sortByLevel(results)
	var out []result
	maxLevel := 3
	for _, r := range results {
		if r.level > maxLevel {
			break
		}
		maxLevel = r.level
		out = append(out, r)
	}
	return out
}

func anyOK(rs []result) bool {
	for _, r := range rs {
		if r.ok {
			return true
		}
	}
	return false
}

func allOK(rs []result) bool {
	for _, r := range rs {
		if !r.ok {
			return false
		}
	}
	return true
}

func sortByLevel(rs []result) { // stable insertion sort: lists are tiny
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].level < rs[j-1].level; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// keyKind says how a dict entry's key(s) are matched.
type keyKind int

const (
	required keyKind = iota
	optional
	oneOfKeys // Patroni's Or("a", "b"): present ones, or all when none is
	atMostOne
)

// entry is one key of a dict schema. For oneOfKeys/atMostOne, cases holds the
// validator of each name.
type entry struct {
	kind   keyKind
	names  []string
	node   vnode
	cases  map[string]vnode
	deflt  any
	hasDef bool
}

func req(name string, n vnode) entry { return entry{kind: required, names: []string{name}, node: n} }
func opt(name string, n vnode) entry { return entry{kind: optional, names: []string{name}, node: n} }
func optDefault(name string, d any, n vnode) entry {
	return entry{kind: optional, names: []string{name}, node: n, deflt: d, hasDef: true}
}

func oneKey(cases map[string]vnode, names ...string) entry {
	return entry{kind: oneOfKeys, names: names, cases: cases}
}

func atMost(cases map[string]vnode, names ...string) entry {
	return entry{kind: atMostOne, names: names, cases: cases}
}

// dict validates a map against ordered entries; unknown keys are allowed.
type dict []entry

func (n dict) check(v any, c *vctx) []result {
	m, ok := v.(map[string]any)
	if !ok {
		return []result{fail("is not a dictionary", 1, v)}
	}
	var out []result
	for _, e := range n {
		keys := e.dataKeys(m)
		if e.kind == atMostOne && len(keys) > 1 {
			out = append(out, fail(fmt.Sprintf("Multiple of %s provided", pyTuple(e.names)), 0, ""))
			continue
		}
		for _, k := range keys {
			val, present := m[k]
			switch {
			case !present && e.kind != optional:
				out = append(out, result{err: "is not defined.", path: k, data: ""})
				continue
			case !present && !e.hasDef:
				continue
			case !present:
				val = e.deflt
			}
			node := e.node
			if e.cases != nil {
				node = e.cases[k]
			}
			for _, r := range node.check(val, c) {
				r.path = joinResultPath(k, r.path)
				out = append(out, r)
			}
		}
	}
	return out
}

func (e entry) dataKeys(m map[string]any) []string {
	if e.kind == required || e.kind == optional {
		return e.names
	}
	var present []string
	for _, k := range e.names {
		if _, ok := m[k]; ok {
			present = append(present, k)
		}
	}
	if e.kind == oneOfKeys && len(present) == 0 {
		return e.names
	}
	return present
}

func joinResultPath(key, sub string) string {
	if sub == "" {
		return key
	}
	return key + "." + sub
}

func pyTuple(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = pyRepr(n)
	}
	if len(q) == 1 {
		return "(" + q[0] + ",)"
	}
	return "(" + strings.Join(q, ", ") + ")"
}

// noCheck accepts anything (used where Patroni only checks presence).
type noCheck struct{}

func (noCheck) check(v any, _ *vctx) []result { return []result{pass(v)} }
