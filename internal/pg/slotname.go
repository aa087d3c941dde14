package pg

import (
	"fmt"
	"regexp"
	"strings"
)

// SlotName derives a replication slot name from a member name (dcs.md §10):
// lower-case; '-' and '.' → '_'; any other char outside [a-z0-9_] → 'u' +
// 4-digit decimal code point; truncated to 63 characters.
func SlotName(member string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(member) {
		switch {
		case r == '-' || r == '.':
			b.WriteByte('_')
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "u%04d", r)
		}
	}
	s := b.String()
	if len(s) > 63 {
		s = s[:63]
	}
	return s
}

var permanentSlotRe = regexp.MustCompile(`^[a-z0-9_]{1,63}$`)

// ValidSlotName reports whether a permanent slot name is acceptable.
func ValidSlotName(name string) bool { return permanentSlotRe.MatchString(name) }
