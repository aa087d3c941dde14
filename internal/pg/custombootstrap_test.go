package pg

import "testing"

func TestCustomBootstrapNoHotStandby(t *testing.T) {
	cases := []struct {
		keep bool
		rc   map[string]string
		want bool
	}{
		{false, nil, false},
		{true, nil, true},
		{false, map[string]string{"recovery_target_action": "promote"}, true},
		{false, map[string]string{"Recovery_Target_Action": "promote"}, true},
		{false, map[string]string{"recovery_target_action": "pause"}, false},
		{false, map[string]string{"restore_command": "x"}, false}, // default action: pause
		{false, map[string]string{"pause_at_recovery_target": "false"}, true},
		{false, map[string]string{"pause_at_recovery_target": "on"}, false},
	}
	for _, c := range cases {
		m := &BootstrapMethod{Name: "x", Command: "x", RecoveryConf: c.rc}
		if got := customBootstrapNoHotStandby(c.keep, m); got != c.want {
			t.Errorf("keep=%v rc=%v: got %v, want %v", c.keep, c.rc, got, c.want)
		}
	}
}
