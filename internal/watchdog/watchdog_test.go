package watchdog

import (
	"strings"
	"testing"
	"time"
)

const s = time.Second

// The acceptance scenario "watchdog is opened and pinged": ttl 20, safety margin 5.
func TestActivateKeepaliveDisableWritesPatroniBytes(t *testing.T) {
	log, logs := newLogger()
	dev := regularDevice(t)
	w := New(testingConfig("required", dev), log)
	mustNil(t, w.Activate(20*s, 2*s))
	if !w.IsRunning() || !w.IsHealthy() {
		t.Fatal("an activated watchdog must be running and healthy")
	}
	mustNil(t, w.Keepalive())
	mustNil(t, w.Keepalive())
	w.Disable()
	if w.IsRunning() {
		t.Fatal("running after Disable")
	}
	if got, want := contents(t, dev), "Ctimeout=15\n11V"; got != want {
		t.Fatalf("device got %q, want %q", got, want)
	}
	want := "Watchdog test harness at " + dev + " activated with 15 second timeout, timing slack 13 seconds"
	if logs.count(want) != 1 {
		t.Fatalf("log lacks %q:\n%s", want, logs)
	}
}

// "watchdog is reconfigured after global ttl changed", "disabled during pause",
// "opened and pinged after resume", against a named pipe as in the acceptance tests.
func TestNamedPipeTTLChangePauseResume(t *testing.T) {
	m := newMonitor(t)
	log, logs := newLogger()
	w := New(testingConfig("required", m.path), log)
	mustNil(t, w.Activate(20*s, 2*s))
	mustNil(t, w.Keepalive())
	w.SetTiming(30*s, 2*s)
	mustNil(t, w.Keepalive()) // ping first, then the new timeout
	mustNil(t, w.Keepalive())
	w.Disable()
	if got, want := m.next(t), "Ctimeout=15\n11Ctimeout=25\n1V"; got != want {
		t.Fatalf("first session %q, want %q", got, want)
	}
	if !strings.Contains(logs.String(), "at "+m.path+" updated with 25 second timeout, timing slack 23 seconds") {
		t.Fatalf("no update line:\n%s", logs)
	}
	mustNil(t, w.Keepalive()) // paused: nothing is written, nothing is reopened
	mustNil(t, w.Activate(30*s, 2*s))
	mustNil(t, w.Keepalive())
	w.Disable()
	if got, want := m.next(t), "Ctimeout=25\n1V"; got != want {
		t.Fatalf("second session %q, want %q", got, want)
	}
}

func TestTimingSlackRefused(t *testing.T) {
	for _, mode := range []string{"required", "automatic"} {
		t.Run(mode, func(t *testing.T) {
			log, logs := newLogger()
			dev := regularDevice(t)
			w := New(testingConfig(mode, dev), log)
			err := w.Activate(6*s, 2*s) // timeout 1 < loop_wait 2
			if mode == "required" {
				mustUnusable(t, err, "timing slack")
				if w.IsHealthy() {
					t.Fatal("required with negative timing slack must be unhealthy")
				}
			} else {
				mustNil(t, err)
				if !w.IsHealthy() {
					t.Fatal("automatic is always healthy")
				}
			}
			if w.IsRunning() || contents(t, dev) != "" {
				t.Fatal("the device must not be touched")
			}
			if logs.count("Watchdog not supported because leader TTL 6 is less than 2x loop_wait 2") != 1 {
				t.Fatalf("missing slack warning:\n%s", logs)
			}
		})
	}
}

func TestSafetyMarginMinusOneIsHalfTTL(t *testing.T) {
	dev := regularDevice(t)
	c := testingConfig("automatic", dev)
	c.SafetyMargin = -1
	w := New(c, nil)
	mustNil(t, w.Activate(21*s, 10*s))
	w.Disable()
	if got := contents(t, dev); got != "Ctimeout=10\nV" {
		t.Fatalf("device got %q", got)
	}
}

func TestModeOffDoesNothing(t *testing.T) {
	dev := regularDevice(t)
	w := New(testingConfig("disabled", dev), nil)
	if w.Mode() != ModeOff {
		t.Fatalf("mode %q", w.Mode())
	}
	mustNil(t, w.Activate(20*s, 2*s))
	mustNil(t, w.Keepalive())
	w.Disable()
	if w.IsRunning() || !w.IsHealthy() || contents(t, dev) != "" {
		t.Fatal("mode off must not open the device")
	}
}

func TestAutomaticMissingDeviceIsQuiet(t *testing.T) {
	log, logs := newLogger()
	w := New(testingConfig("auto", t.TempDir()+"/none"), log)
	mustNil(t, w.Activate(30*s, 10*s))
	mustNil(t, w.Keepalive())
	if w.IsRunning() || !w.IsHealthy() {
		t.Fatal("automatic without a device: not running, healthy")
	}
	if !strings.Contains(logs.String(), "level=DEBUG msg=\"Could not activate Watchdog test harness at") {
		t.Fatalf("want a debug line:\n%s", logs)
	}
}

// Mode required with no device: refused, unhealthy, not retried with the same
// settings, retried once the ttl changes.
func TestRequiredMissingDevice(t *testing.T) {
	log, logs := newLogger()
	c := DefaultConfig()
	c.Mode, c.Device = "require", t.TempDir()+"/watchdog"
	w := New(c, log)
	if w.IsHealthy() {
		t.Fatal("a missing device is not healthy")
	}
	mustUnusable(t, w.Activate(30*s, 10*s), "Can't open watchdog device: open "+c.Device+": no such file or directory")
	mustUnusable(t, w.Activate(30*s, 10*s), "no such file")
	if n := logs.count("Could not activate Linux watchdog device at " + c.Device); n != 1 {
		t.Fatalf("device tried %d times, want 1:\n%s", n, logs)
	}
	if n := logs.count("Configuration requires watchdog, but watchdog could not be configured."); n != 2 {
		t.Fatalf("refusal logged %d times, want 2", n)
	}
	w.SetTiming(40*s, 10*s)
	mustUnusable(t, w.Activate(40*s, 10*s), "no such file")
	if n := logs.count("Could not activate"); n != 2 {
		t.Fatalf("changed ttl must retry the device (%d attempts)", n)
	}
}

// /dev/null opens but answers no watchdog ioctl: refused and closed again.
func TestDefaultDriverOnANonWatchdog(t *testing.T) {
	c := DefaultConfig()
	c.Mode, c.Device = "required", "/dev/null"
	w := New(c, nil)
	mustUnusable(t, w.Activate(30*s, 10*s), "Could not get information about watchdog device")
	if w.IsRunning() {
		t.Fatal("a device without watchdog ioctls must not stay open")
	}
}

func TestHealthBeforeActivation(t *testing.T) {
	dev := regularDevice(t)
	if !New(testingConfig("required", dev), nil).IsHealthy() {
		t.Fatal("a writable device with Patroni's default timing is healthy")
	}
	w := New(testingConfig("required", dev+".missing"), nil)
	if w.IsHealthy() {
		t.Fatal("a missing device is not healthy")
	}
	w = New(testingConfig("required", dev), nil)
	w.SetTiming(10*s, 10*s)
	if w.IsHealthy() {
		t.Fatal("ttl 10, loop_wait 10 leaves no timing slack")
	}
}

func TestKeepaliveWithoutActivateIsNoop(t *testing.T) {
	dev := regularDevice(t)
	w := New(testingConfig("required", dev), nil)
	w.SetTiming(20*s, 2*s)
	mustNil(t, w.Keepalive())
	w.Disable()
	if contents(t, dev) != "" {
		t.Fatal("nothing may be written before Activate")
	}
}

func TestReloadOffClosesAtOnce(t *testing.T) {
	dev := regularDevice(t)
	w := New(testingConfig("automatic", dev), nil)
	mustNil(t, w.Activate(20*s, 2*s))
	w.Reload(testingConfig("off", dev))
	if w.IsRunning() {
		t.Fatal("mode off must close the device")
	}
	mustNil(t, w.Keepalive())
	if got := contents(t, dev); got != "Ctimeout=15\nV" {
		t.Fatalf("device got %q", got)
	}
}

// A new device path while leader: the old device is closed and the new one armed at
// the next keepalive, when the leader key was just renewed.
func TestReloadDeviceSwitchesAtKeepalive(t *testing.T) {
	a, b := regularDevice(t), regularDevice(t)
	w := New(testingConfig("required", a), nil)
	mustNil(t, w.Activate(20*s, 2*s))
	w.Reload(testingConfig("required", b))
	if contents(t, b) != "" {
		t.Fatal("switched before the keepalive")
	}
	mustNil(t, w.Keepalive())
	mustNil(t, w.Keepalive())
	w.Disable()
	if got := contents(t, a); got != "Ctimeout=15\n1V" {
		t.Fatalf("old device got %q", got)
	}
	if got := contents(t, b); got != "Ctimeout=15\n1V" {
		t.Fatalf("new device got %q", got)
	}
}

func TestParseMode(t *testing.T) {
	cases := map[string]Mode{"": ModeAutomatic, "Auto": ModeAutomatic, "automatic": ModeAutomatic,
		"REQUIRE": ModeRequired, "required": ModeRequired, "off": ModeOff, "False": ModeOff,
		"disable": ModeOff, "disabled": ModeOff}
	for in, want := range cases {
		if got, ok := ParseMode(in); got != want || !ok {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, ok)
		}
	}
	if got, ok := ParseMode("sometimes"); got != ModeOff || ok {
		t.Errorf("unknown word: %q, %v", got, ok)
	}
	log, logs := newLogger()
	if New(Config{Mode: "sometimes"}, log).Mode() != ModeOff ||
		logs.count("Watchdog mode sometimes not recognized, disabling watchdog") != 1 {
		t.Fatalf("unknown mode must warn and mean off:\n%s", logs)
	}
}

func TestConfigCheck(t *testing.T) {
	mustNil(t, DefaultConfig().Check())
	c := DefaultConfig()
	c.SafetyMargin = -2
	if err := c.Check(); err == nil || !strings.Contains(err.Error(), "safety_margin") {
		t.Fatalf("margin -2: %v", err)
	}
	c = DefaultConfig()
	c.Mode, c.Driver = "required", "hardware"
	if err := c.Check(); err == nil || !strings.Contains(err.Error(), "not supported on this platform") {
		t.Fatalf("unknown driver: %v", err)
	}
	c.Mode = "automatic"
	mustNil(t, c.Check())
}
