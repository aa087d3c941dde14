package watchdog

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Mode is the normalised watchdog.mode.
type Mode string

// Watchdog modes (the same words as config.WatchdogMode).
const (
	ModeOff       Mode = "off"
	ModeAutomatic Mode = "automatic"
	ModeRequired  Mode = "required"
)

// Drivers.
const (
	DriverDefault = "default"
	DriverTesting = "testing"
)

// DefaultDevice is the device Patroni opens when none is configured.
const DefaultDevice = "/dev/watchdog"

// Config is the local `watchdog` section. Empty Mode means automatic (Patroni's
// default when the section is absent), empty Device /dev/watchdog, empty Driver
// "default". SafetyMargin 0 is a valid setting: start from DefaultConfig for 5.
type Config struct {
	Mode         string
	Device       string
	Driver       string
	SafetyMargin int // seconds; -1 → timeout = ttl/2
}

// DefaultConfig is Patroni's configuration when the section is absent.
func DefaultConfig() Config {
	return Config{Mode: string(ModeAutomatic), Device: DefaultDevice, Driver: DriverDefault, SafetyMargin: 5}
}

// ParseMode maps Patroni's lenient mode spellings (case-insensitive): off, false,
// disable(d) → off; auto(matic) → automatic; require(d) → required. ok is false for an
// unrecognised word, which also means off. Empty means automatic.
func ParseMode(s string) (m Mode, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto", "automatic":
		return ModeAutomatic, true
	case "require", "required":
		return ModeRequired, true
	case "off", "false", "disable", "disabled":
		return ModeOff, true
	}
	return ModeOff, false
}

// Check reports a configuration Patroni refuses at startup: a bad safety_margin, or a
// required watchdog whose driver cannot work on this platform (Patroni exits then).
func (c Config) Check() error {
	if c.SafetyMargin < -1 {
		return fmt.Errorf("watchdog.safety_margin must be -1 or more, got %d", c.SafetyMargin)
	}
	m, _ := ParseMode(c.Mode)
	if m == ModeRequired && !driverSupported(c.withDefaults().Driver) {
		return errors.New("Configuration requires a watchdog, but watchdog is not supported on this platform.")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Device == "" {
		c.Device = DefaultDevice
	}
	if c.Driver == "" {
		c.Driver = DriverDefault
	}
	return c
}

// settings is one snapshot of everything that shapes an activation; comparable, so a
// changed configuration or ttl is a plain inequality.
type settings struct {
	mode     Mode
	driver   string
	device   string
	margin   int
	ttl      int // seconds
	loopWait int // seconds
}

// timeout is the device timeout in seconds: ttl − safety_margin, or ttl/2 for −1.
func (s settings) timeout() int {
	if s.margin == -1 {
		return s.ttl / 2
	}
	return s.ttl - s.margin
}

// slack is how much of the timeout is left after one loop_wait without a keepalive.
func (s settings) slack() int { return s.timeout() - s.loopWait }

// sameDevice: the same driver on the same path, so an open device can be kept.
func (s settings) sameDevice(o settings) bool { return s.driver == o.driver && s.device == o.device }

func seconds(d time.Duration) int { return int(d / time.Second) }
