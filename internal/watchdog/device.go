package watchdog

import (
	"errors"
	"fmt"
)

// Support flags of struct watchdog_info.options (linux/watchdog.h).
const (
	flagSetTimeout = 0x0080
	flagMagicClose = 0x0100
)

// supportInfo is what WDIOC_GETSUPPORT reports.
type supportInfo struct {
	options  uint32
	firmware uint32
	identity string
}

// device is one watchdog driver on one path. Errors are ready to log: they name the
// device operation that failed.
type device interface {
	open() error
	// close disarms the device with the magic character and closes it.
	close() error
	keepalive() error
	support() (supportInfo, error)
	setTimeout(sec int) error
	timeout() (int, error)
	// describe names the device for log lines ("Watchdog test harness at /x").
	describe() string
	// healthy: opening is expected to work (the path exists and is writable).
	healthy() bool
}

var errClosed = errors.New("Watchdog device is closed")

// canBeDisabled: closing stops the timer (magic close). Unknown support counts as no.
func canBeDisabled(d device) bool {
	info, err := d.support()
	return err == nil && info.options&flagMagicClose != 0
}

// describeDevice builds Patroni's device description from a support answer.
func describeDevice(path string, info supportInfo) string {
	s := info.identity
	if info.firmware != 0 {
		s += fmt.Sprintf(" (firmware %d)", info.firmware)
	}
	if path != DefaultDevice {
		s += " at " + path
	}
	return s
}
