//go:build !linux

package watchdog

import (
	"fmt"
	"runtime"
)

func driverSupported(string) bool { return false }

// newDevice: Patroni drives watchdogs on Linux only.
func newDevice(driver, _ string) (device, error) {
	return nil, fmt.Errorf("watchdog driver %q is not supported on %s", driver, runtime.GOOS)
}
