package pg

import (
	"fmt"
	"strconv"
	"strings"
)

// LSN is a WAL position in bytes ("0/3000060" ↔ 0x3000060).
type LSN int64

// ParseLSN parses the textual form "X/Y" (both hexadecimal).
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || hi == "" || lo == "" || len(hi) > 8 || len(lo) > 8 {
		return 0, fmt.Errorf("invalid LSN %q", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid LSN %q", s)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid LSN %q", s)
	}
	return LSN(h<<32 | l), nil
}

// String formats like PostgreSQL: upper-case hex, no padding.
func (l LSN) String() string {
	return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF)
}

// Padded formats with the low part padded to 8 digits, as pg_waldump prints.
func (l LSN) Padded() string {
	return fmt.Sprintf("%X/%08X", uint64(l)>>32, uint64(l)&0xFFFFFFFF)
}

// WalFileName is the segment file holding lsn on timeline tli (16 MB segments by default).
func WalFileName(tli uint32, lsn LSN, segSize int64) string {
	if segSize <= 0 {
		segSize = 16 << 20
	}
	segNo := uint64(lsn) / uint64(segSize)
	perID := uint64(0x100000000) / uint64(segSize)
	return fmt.Sprintf("%08X%08X%08X", tli, segNo/perID, segNo%perID)
}
