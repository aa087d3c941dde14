package watchdog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// ErrUnusable wraps every error Activate returns (mode required only).
var ErrUnusable = errors.New("watchdog could not be activated")

// activate arms the device for w.want (lock held). It records the outcome so that an
// unchanged configuration is not retried, and returns an error only in mode required.
func (w *Watchdog) activate() error {
	s := w.want
	w.applied = s
	if s.mode == ModeOff {
		return nil
	}
	if w.dev != nil {
		if s.timeout() != w.currentTimeout() {
			return w.retune(s)
		}
		return nil
	}
	if w.failed != nil && *w.failed == s {
		return w.refuse(s, w.failedErr)
	}
	dev, err := w.arm(s)
	if err != nil {
		w.failed, w.failedErr = &s, err
		return w.refuse(s, err)
	}
	w.dev, w.failed, w.failedErr = dev, nil, nil
	return nil
}

func (w *Watchdog) currentTimeout() int {
	t, err := w.dev.timeout()
	if err != nil {
		return -1
	}
	return t
}

// refuse ends a failed activation: an error in mode required, nothing otherwise.
func (w *Watchdog) refuse(s settings, why error) error {
	if s.mode != ModeRequired {
		return nil
	}
	var unsafe *unsafeTimeoutError
	if !errors.As(why, &unsafe) {
		w.log.Error("Configuration requires watchdog, but watchdog could not be configured.")
	}
	return fmt.Errorf("%w: %w", ErrUnusable, why)
}

// unsafeTimeoutError: the device runs with a timeout longer than ttl − safety_margin.
type unsafeTimeoutError struct{ want, got int }

func (e *unsafeTimeoutError) Error() string {
	return fmt.Sprintf("a safe watchdog timeout %d could not be configured. Watchdog timeout is %d", e.want, e.got)
}

var errTimingSlack = errors.New("leader ttl leaves no timing slack over loop_wait")

// arm opens the device and sets its timeout; on any failure the device is closed
// again (Patroni leaves it open, and an open device nobody pings resets the host).
func (w *Watchdog) arm(s settings) (device, error) {
	if s.slack() < 0 {
		w.log.Warn(fmt.Sprintf("Watchdog not supported because leader TTL %d is less than 2x loop_wait %d", s.ttl, s.loopWait))
		return nil, errTimingSlack
	}
	if s.margin < -1 {
		err := fmt.Errorf("watchdog.safety_margin must be -1 or more, got %d", s.margin)
		w.couldNotActivate(s, "watchdog", err)
		return nil, err
	}
	dev, err := newDevice(s.driver, s.device)
	if err != nil {
		w.couldNotActivate(s, "watchdog", err)
		return nil, err
	}
	if err := dev.open(); err != nil {
		w.couldNotActivate(s, dev.describe(), err)
		return nil, err
	}
	actual, err := w.setTimeout(dev, s)
	if err != nil {
		_ = dev.close()
		return nil, err
	}
	if !canBeDisabled(dev) {
		w.log.Warn("Watchdog implementation can't be disabled. Watchdog will trigger after Patroni loses leader key.")
	}
	if actual > s.timeout() {
		if s.mode == ModeRequired {
			w.log.Error(fmt.Sprintf("Configuration requires watchdog, but a safe watchdog timeout %d could not be configured. Watchdog timeout is %d.", s.timeout(), actual))
			_ = dev.close()
			return nil, &unsafeTimeoutError{want: s.timeout(), got: actual}
		}
		w.log.Warn(fmt.Sprintf("Watchdog timeout %d seconds does not ensure safe termination within %d seconds", actual, s.timeout()))
	}
	w.log.Info(fmt.Sprintf("%s activated with %d second timeout, timing slack %d seconds", dev.describe(), actual, s.slack()))
	return dev, nil
}

// setTimeout applies ttl − safety_margin where the device supports it and checks that
// the timeout in force leaves room for one loop_wait.
func (w *Watchdog) setTimeout(dev device, s settings) (int, error) {
	info, err := dev.support()
	if err == nil && info.options&flagSetTimeout != 0 {
		err = dev.setTimeout(s.timeout())
	}
	var actual int
	if err == nil {
		actual, err = dev.timeout()
	}
	if err != nil {
		w.couldNotActivate(s, dev.describe(), err)
		return 0, err
	}
	if actual < s.loopWait {
		w.log.Error(fmt.Sprintf("loop_wait of %d seconds is too long for watchdog %d second timeout", s.loopWait, actual))
		if canBeDisabled(dev) {
			w.log.Info("Disabling watchdog due to unsafe timeout.")
			return 0, fmt.Errorf("watchdog timeout %d is shorter than loop_wait %d", actual, s.loopWait)
		}
	}
	return actual, nil
}

// couldNotActivate logs a device failure: a warning when the watchdog is required,
// debug otherwise (automatic mode on a host without a watchdog is normal).
func (w *Watchdog) couldNotActivate(s settings, desc string, err error) {
	lvl := slog.LevelDebug
	if s.mode == ModeRequired {
		lvl = slog.LevelWarn
	}
	w.log.Log(context.Background(), lvl, fmt.Sprintf("Could not activate %s: %v", desc, err))
}
