package ha

import (
	"errors"
	"strconv"
	"strings"
)

// ssn is a parsed synchronous_standby_names value.
type ssn struct {
	Type    string // off, priority, quorum
	Num     int
	Members []string // lower-cased for comparison; "*" kept
	HasStar bool
}

func (s ssn) has(name string) bool {
	for _, m := range s.Members {
		if m == strings.ToLower(name) {
			return true
		}
	}
	return false
}

var errSSN = errors.New("Unparsable synchronous_standby_names value")

type ssnToken struct {
	kind string // ident, num, comma, lparen, rparen, star
	val  string
}

func tokenizeSSN(v string) ([]ssnToken, error) {
	var out []ssnToken
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == ',':
			out, i = append(out, ssnToken{"comma", ","}), i+1
		case c == '(':
			out, i = append(out, ssnToken{"lparen", "("}), i+1
		case c == ')':
			out, i = append(out, ssnToken{"rparen", ")"}), i+1
		case c == '*':
			out, i = append(out, ssnToken{"star", "*"}), i+1
		case c == '"':
			j, b := i+1, strings.Builder{}
			for ; j < len(v); j++ {
				if v[j] == '"' {
					if j+1 < len(v) && v[j+1] == '"' {
						b.WriteByte('"')
						j++
						continue
					}
					break
				}
				b.WriteByte(v[j])
			}
			if j >= len(v) {
				return nil, errSSN
			}
			out, i = append(out, ssnToken{"ident", b.String()}), j+1
		case c >= '0' && c <= '9':
			j := i
			for j < len(v) && v[j] >= '0' && v[j] <= '9' {
				j++
			}
			out, i = append(out, ssnToken{"num", v[i:j]}), j
		default:
			j := i
			for j < len(v) && !strings.ContainsRune(" \t\r\n,()\"*", rune(v[j])) {
				j++
			}
			w := v[i:j]
			out, i = append(out, ssnToken{"ident", strings.ToLower(w)}), j
			if kw := strings.ToLower(w); kw == "first" || kw == "any" {
				out[len(out)-1].kind = kw
			}
		}
	}
	return out, nil
}

// parseSSN parses synchronous_standby_names like Patroni's parse_sync_standby_names.
func parseSSN(v string) (ssn, error) {
	toks, err := tokenizeSSN(v)
	if err != nil {
		return ssn{Type: "off"}, err
	}
	if len(toks) == 0 {
		return ssn{Type: "off"}, nil
	}
	res := ssn{Type: "priority", Num: 1}
	list := toks
	switch {
	case (toks[0].kind == "first" || toks[0].kind == "any") && len(toks) > 2 && toks[1].kind == "num" && toks[2].kind == "lparen":
		if toks[0].kind == "any" {
			res.Type = "quorum"
		}
		res.Num, _ = strconv.Atoi(toks[1].val)
		list = toks[2:]
	case toks[0].kind == "num" && len(toks) > 1 && toks[1].kind == "lparen":
		res.Num, _ = strconv.Atoi(toks[0].val)
		list = toks[1:]
	}
	if list[0].kind == "lparen" {
		if list[len(list)-1].kind != "rparen" {
			return ssn{Type: "off"}, errSSN
		}
		list = list[1 : len(list)-1]
	}
	for i, t := range list {
		want := i%2 == 0
		isName := t.kind == "ident" || t.kind == "star" || t.kind == "first" || t.kind == "any"
		if want != isName || (!want && t.kind != "comma") {
			return ssn{Type: "off"}, errSSN
		}
		if isName {
			res.Members = append(res.Members, strings.ToLower(t.val))
			res.HasStar = res.HasStar || t.kind == "star"
		}
	}
	if len(list) == 0 || len(list)%2 == 0 {
		return ssn{Type: "off"}, errSSN
	}
	return res, nil
}
