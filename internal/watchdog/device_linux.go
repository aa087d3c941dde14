//go:build linux

package watchdog

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

func driverSupported(driver string) bool {
	return driver == DriverDefault || driver == DriverTesting
}

// newDevice returns the driver for path, or an error for an unknown driver.
func newDevice(driver, path string) (device, error) {
	switch driver {
	case DriverDefault:
		return &linuxDevice{fdDevice: fdDevice{path: path, fd: -1}}, nil
	case DriverTesting:
		return &testingDevice{fdDevice: fdDevice{path: path, fd: -1}, last: 60}, nil
	}
	return nil, fmt.Errorf("watchdog driver %q is not supported on this platform", driver)
}

// fdDevice is the part both drivers share: a write-only descriptor on the device.
type fdDevice struct {
	path string
	fd   int // -1 when closed
}

func (d *fdDevice) open() error {
	// Blocks on a named pipe until its reader opens it, as Patroni does: the
	// acceptance harness reopens its end after every close.
	fd, err := retryEINTR(func() (int, error) { return unix.Open(d.path, unix.O_WRONLY|unix.O_CLOEXEC, 0) })
	if err != nil {
		return fmt.Errorf("Can't open watchdog device: %w", &os.PathError{Op: "open", Path: d.path, Err: err})
	}
	d.fd = fd
	return nil
}

// closeWith writes the magic character and closes the descriptor; it is closed even
// when the write fails, so a broken device does not look running forever.
func (d *fdDevice) closeWith(desc string) error {
	if d.fd < 0 {
		return nil
	}
	werr := d.write("V")
	cerr := unix.Close(d.fd)
	d.fd = -1
	if err := errors.Join(werr, cerr); err != nil {
		return fmt.Errorf("Error while closing %s: %w", desc, err)
	}
	return nil
}

func (d *fdDevice) keepalive() error {
	if d.fd < 0 {
		return errClosed
	}
	if err := d.write("1"); err != nil {
		return fmt.Errorf("Could not send watchdog keepalive: %w", err)
	}
	return nil
}

func (d *fdDevice) healthy() bool {
	return unix.Access(d.path, unix.W_OK) == nil
}

func (d *fdDevice) write(s string) error {
	b := []byte(s)
	for len(b) > 0 {
		n, err := retryEINTR(func() (int, error) { return unix.Write(d.fd, b) })
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func retryEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if !errors.Is(err, unix.EINTR) {
			return n, err
		}
	}
}

// linuxDevice is a kernel watchdog driven with the WDIOC ioctls.
type linuxDevice struct {
	fdDevice
	info *supportInfo // cached after the first successful WDIOC_GETSUPPORT
}

func (d *linuxDevice) close() error { return d.closeWith(d.describe()) }

func (d *linuxDevice) support() (supportInfo, error) {
	if d.info != nil {
		return *d.info, nil
	}
	if d.fd < 0 {
		return supportInfo{}, fmt.Errorf("Could not get information about watchdog device: %w", errClosed)
	}
	wi, err := unix.IoctlGetWatchdogInfo(d.fd)
	if err != nil {
		return supportInfo{}, fmt.Errorf("Could not get information about watchdog device: %w", err)
	}
	id := strings.ToValidUTF8(strings.TrimRight(string(wi.Identity[:]), "\x00"), "")
	d.info = &supportInfo{options: wi.Options, firmware: wi.Version, identity: id}
	return *d.info, nil
}

func (d *linuxDevice) setTimeout(sec int) error {
	if sec <= 0 || sec >= 0xFFFF {
		return fmt.Errorf("Invalid timeout %d. Supported values are between 1 and 65535", sec)
	}
	if d.fd < 0 {
		return fmt.Errorf("Could not set timeout on watchdog device: %w", errClosed)
	}
	if err := unix.IoctlSetPointerInt(d.fd, unix.WDIOC_SETTIMEOUT, sec); err != nil {
		return fmt.Errorf("Could not set timeout on watchdog device: %w", err)
	}
	return nil
}

func (d *linuxDevice) timeout() (int, error) {
	if d.fd < 0 {
		return 0, fmt.Errorf("Could not get timeout on watchdog device: %w", errClosed)
	}
	v, err := unix.IoctlGetInt(d.fd, unix.WDIOC_GETTIMEOUT)
	if err != nil {
		return 0, fmt.Errorf("Could not get timeout on watchdog device: %w", err)
	}
	return v, nil
}

func (d *linuxDevice) describe() string {
	info := supportInfo{identity: "Linux watchdog device"}
	if d.fd >= 0 {
		if si, err := d.support(); err == nil {
			info = si
		}
	}
	return describeDevice(d.path, info)
}

// testingDevice is Patroni's acceptance-test driver: the timeout "ioctls" are writes
// of "Ctimeout=<n>\n" that the harness reads from its named pipe.
type testingDevice struct {
	fdDevice
	last int // the timeout last set; Patroni starts from 60
}

func (d *testingDevice) close() error { return d.closeWith(d.describe()) }

func (d *testingDevice) support() (supportInfo, error) {
	return supportInfo{options: flagMagicClose | flagSetTimeout, identity: "Watchdog test harness"}, nil
}

func (d *testingDevice) setTimeout(sec int) error {
	if d.fd < 0 {
		return errClosed
	}
	if err := d.write(fmt.Sprintf("Ctimeout=%d\n", sec)); err != nil {
		return fmt.Errorf("Could not set timeout on watchdog device: %w", err)
	}
	d.last = sec
	return nil
}

func (d *testingDevice) timeout() (int, error) { return d.last, nil }

func (d *testingDevice) describe() string {
	info, _ := d.support()
	return describeDevice(d.path, info)
}
