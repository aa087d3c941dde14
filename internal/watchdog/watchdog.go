package watchdog

import (
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Watchdog is Patroni's watchdog facade: it owns at most one open device and applies
// configuration and ttl changes at the right moment. Safe for concurrent use.
type Watchdog struct {
	mu  sync.Mutex
	log *slog.Logger

	want    settings // the latest configuration and timing (SetTiming, Reload)
	applied settings // what the last activation or keepalive put in force
	active  bool     // Activate was called and Disable not since: keepalives expected
	dev     device   // the open device; nil when not running

	// failed is the settings of the last failed activation and why: the device is
	// not tried again (and not logged about again) until something changes.
	failed    *settings
	failedErr error
}

// New returns a watchdog for cfg; nothing is opened until Activate. ttl and loop_wait
// start at Patroni's defaults (30 s, 10 s) until Activate or SetTiming says otherwise.
// logger nil means slog.Default().
func New(cfg Config, logger *slog.Logger) *Watchdog {
	if logger == nil {
		logger = slog.Default()
	}
	w := &Watchdog{log: logger}
	w.want.ttl, w.want.loopWait = 30, 10
	w.want = w.settingsFor(cfg)
	w.applied = w.want
	return w
}

func (w *Watchdog) settingsFor(cfg Config) settings {
	cfg = cfg.withDefaults()
	m, ok := ParseMode(cfg.Mode)
	if !ok {
		w.log.Warn("Watchdog mode " + cfg.Mode + " not recognized, disabling watchdog")
	}
	return settings{mode: m, driver: cfg.Driver, device: cfg.Device, margin: cfg.SafetyMargin,
		ttl: w.want.ttl, loopWait: w.want.loopWait}
}

// Mode is the configured mode.
func (w *Watchdog) Mode() Mode {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.want.mode
}

// SetTiming records the cluster's current ttl and loop_wait (global configuration).
// A running device gets the new timeout at the next Keepalive, right after the leader
// key was renewed with the new ttl.
func (w *Watchdog) SetTiming(ttl, loopWait time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.want.ttl, w.want.loopWait = seconds(ttl), seconds(loopWait)
}

// Reload applies a changed local `watchdog` section. Turning the watchdog off closes
// the device at once; other changes to a running watchdog wait for the next Keepalive.
func (w *Watchdog) Reload(cfg Config) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.want = w.settingsFor(cfg)
	if w.want.mode == ModeOff {
		w.closeDevice()
		w.applied = w.want
	}
	if !w.active {
		w.applied = w.want
	}
}

// Activate opens and arms the device with timeout ttl − safety_margin. In mode
// required a watchdog that cannot be activated safely is an error (the caller must not
// lead); in mode automatic failures are only logged and the result is nil; mode off
// does nothing. Calling it while running only brings the timeout up to date.
func (w *Watchdog) Activate(ttl, loopWait time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.want.ttl, w.want.loopWait = seconds(ttl), seconds(loopWait)
	w.active = true
	return w.activate()
}

// Keepalive pings a running device ("1"), then applies a configuration or ttl change
// made since activation. Errors are logged here; the result is for callers that count
// them. Without a preceding Activate it does nothing.
func (w *Watchdog) Keepalive() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.active {
		return nil
	}
	if w.dev != nil {
		if err := w.dev.keepalive(); err != nil {
			w.log.Error("Error while sending keepalive: " + err.Error())
			return err
		}
	}
	if w.want != w.applied {
		return w.applyPending()
	}
	return nil
}

// Disable disarms and closes the device (magic close). Keepalives stop until the next
// Activate. Safe to call when not running.
func (w *Watchdog) Disable() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.active = false
	w.closeDevice()
}

// IsRunning: the device is open and armed.
func (w *Watchdog) IsRunning() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dev != nil
}

// IsHealthy: the watchdog is usable if needed. Always true unless mode is required;
// then false when the timing slack is negative, the last activation with the same
// settings failed, or the device is missing or not writable.
func (w *Watchdog) IsHealthy() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.want
	switch {
	case s.mode != ModeRequired:
		return true
	case s.slack() < 0:
		return false
	case w.dev != nil:
		return true
	case w.failed != nil && *w.failed == s:
		return false
	}
	d, err := newDevice(s.driver, s.device)
	return err == nil && d.healthy()
}

// applyPending is the second half of Keepalive: the driver or device changed (reopen),
// the watchdog was turned back on (open), or only the timeout changed (retune).
func (w *Watchdog) applyPending() error {
	want, old := w.want, w.applied
	if want.mode == ModeOff {
		w.applied = want
		return nil
	}
	if old.mode == ModeOff || !want.sameDevice(old) {
		w.closeDevice()
		return w.activate()
	}
	w.applied = want
	if w.dev != nil && want.timeout() != old.timeout() {
		return w.retune(want)
	}
	return nil
}

// retune sets a new timeout on the running device.
func (w *Watchdog) retune(s settings) error {
	err := w.dev.setTimeout(s.timeout())
	var actual int
	if err == nil {
		actual, err = w.dev.timeout()
	}
	if err != nil {
		w.log.Error("Error while sending keepalive: " + err.Error())
		return err
	}
	w.log.Info(fmt.Sprintf("%s updated with %d second timeout, timing slack %d seconds",
		w.dev.describe(), actual, s.slack()))
	return nil
}

// closeDevice disarms the open device, if any. A device without magic close keeps
// counting: it gets one last ping and a warning.
func (w *Watchdog) closeDevice() {
	d := w.dev
	if d == nil {
		return
	}
	w.dev = nil
	if !canBeDisabled(d) {
		_ = d.keepalive()
		t, _ := d.timeout()
		w.log.Warn(fmt.Sprintf("Watchdog implementation can't be disabled. System will reboot after %d seconds when watchdog times out.", t))
	}
	if err := d.close(); err != nil {
		w.log.Error("Error while disabling watchdog: " + err.Error())
	}
}
