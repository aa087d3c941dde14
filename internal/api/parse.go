package api

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

var (
	hexRE = regexp.MustCompile(`^[-+]?0x[0-9a-fA-F]+`)
	octRE = regexp.MustCompile(`^[-+]?0[0-7]*`)
	decRE = regexp.MustCompile(`^[-+]?(0|[1-9][0-9]*)`)
	dblRE = regexp.MustCompile(`^[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?`)
)

var memoryUnits = map[string]float64{"B": 1, "kB": 1024, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}

var timeUnits = map[string]float64{"us": 1e-6, "ms": 1e-3, "s": 1, "min": 60, "h": 3600, "d": 86400}

// parseInt is Patroni's parse_int for the bases the API uses ("B" for lag, "s" for
// timeout): an integer (decimal, 0x hex, 0 octal) or a float, optionally followed by a
// unit, rounded to an integer in the base unit.
func parseInt(value, base string) (int64, bool) {
	s := strings.TrimSpace(value)
	var f float64
	rest := ""
	if m := intPrefix(s); m != "" && !strings.HasPrefix(s[len(m):], ".") &&
		!strings.HasPrefix(s[len(m):], "e") && !strings.HasPrefix(s[len(m):], "E") {
		n, err := parseCInt(m)
		if err != nil {
			return 0, false
		}
		f, rest = float64(n), s[len(m):]
	} else if m := dblRE.FindString(s); m != "" {
		v, err := strconv.ParseFloat(m, 64)
		if err != nil {
			return 0, false
		}
		f, rest = v, s[len(m):]
	} else {
		return 0, false
	}
	unit := strings.TrimSpace(rest)
	if unit != "" {
		table := memoryUnits
		if base == "s" {
			table = timeUnits
		}
		mult, ok := table[unit]
		if !ok {
			return 0, false
		}
		f = f * mult / table[base]
	}
	if math.IsNaN(f) || math.Abs(f) > math.MaxInt64/2 {
		return 0, false
	}
	return int64(math.RoundToEven(f)), true
}

func intPrefix(s string) string {
	for _, re := range []*regexp.Regexp{hexRE, octRE, decRE} {
		if m := re.FindString(s); m != "" {
			return m
		}
	}
	return ""
}

func parseCInt(m string) (int64, error) {
	neg := strings.HasPrefix(m, "-")
	d := strings.TrimLeft(m, "+-")
	base := 10
	switch {
	case strings.HasPrefix(d, "0x"):
		base, d = 16, d[2:]
	case len(d) > 1 && d[0] == '0':
		base, d = 8, d[1:]
	}
	n, err := strconv.ParseInt(d, base, 64)
	if neg {
		n = -n
	}
	return n, err
}

// scheduleError is a rejected schedule: the status code and Patroni's message.
type scheduleError struct {
	code int
	msg  string
}

var zonedLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02 15:04Z07:00",
	"2006-01-02T15:04:05.999999999 MST",
	"2006-01-02 15:04:05.999999999 MST",
}

// parseSchedule validates a schedule for action ("restart" or "switchover"): it must
// parse, carry a zone and lie in the future.
func parseSchedule(v any, action string, now time.Time) (time.Time, *scheduleError) {
	s, _ := v.(string)
	s = strings.TrimSpace(s)
	for _, l := range zonedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if t.Before(now) {
				return t, &scheduleError{422, "Cannot schedule " + action + " in the past"}
			}
			return t, nil
		}
	}
	if _, err := cluster.ParseTimestamp(s); err == nil && s != "" {
		return time.Time{}, &scheduleError{400, "Timezone information is mandatory for the scheduled " + action}
	}
	return time.Time{}, &scheduleError{422, "Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601"}
}

// checkPostgresVersion is Patroni's postgres_version_to_int validation: X.Y.Z (< 10)
// or X.Y (>= 10); it returns the message to answer with, "" if valid.
func checkPostgresVersion(v any) string {
	s, ok := v.(string)
	if !ok {
		return fmt.Sprintf("Invalid PostgreSQL version: %s", pyStr(v))
	}
	parts := strings.Split(s, ".")
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return "Invalid PostgreSQL version: " + s
		}
		nums[i] = n
	}
	if len(nums) < 2 || (len(nums) == 2 && nums[0] < 10) || len(nums) > 3 {
		return "Invalid PostgreSQL version format: X.Y or X.Y.Z is accepted: " + s
	}
	return ""
}
