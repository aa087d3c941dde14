package pg

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// SyncStrictPlaceholder stands in for "no standby" in strict synchronous mode
// (Patroni 4.x writes it instead of `*`).
const SyncStrictPlaceholder = "__patroni_strict_sync_replica_placeholder__"

var bareIdentRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z_0-9$]*$`)

// QuoteSyncName quotes a standby name as an identifier only when needed
// (FIRST and ANY are keywords there, so they are always quoted).
func QuoteSyncName(name string) string {
	l := strings.ToLower(name)
	if bareIdentRe.MatchString(name) && l != "first" && l != "any" {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// SyncStandbyNames renders synchronous_standby_names (ha-loop.md §9.2,
// Patroni 4.1): "" means the parameter is removed. A "*" among the names, or
// no names with num ≥ 1, gives the strict placeholder. Names are sorted.
// With more than one name the form is `N (a,b)`, N = num if > 0 else the
// number of names; quorum mode always uses `ANY num (...)`.
func SyncStandbyNames(names []string, num int, quorum bool) string {
	strict := num >= 1 && len(names) == 0
	for _, n := range names {
		if n == "*" {
			strict = true
		}
	}
	if strict {
		return SyncStrictPlaceholder
	}
	if len(names) == 0 {
		return ""
	}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	quoted := make([]string, len(sorted))
	for i, n := range sorted {
		quoted[i] = QuoteSyncName(n)
	}
	if quorum {
		if num <= 0 {
			// ANY 0 is invalid; without a quorum size every listed standby must confirm.
			num = len(quoted)
		}
		return fmt.Sprintf("ANY %d (%s)", num, strings.Join(quoted, ","))
	}
	if len(quoted) == 1 {
		return quoted[0]
	}
	if num <= 0 {
		num = len(quoted)
	}
	return fmt.Sprintf("%d (%s)", num, strings.Join(quoted, ","))
}
