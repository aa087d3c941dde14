package pg

import (
	"fmt"
	"testing"
)

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

func TestReplicaMethodsWithoutSource(t *testing.T) {
	s := &Server{opts: Options{CreateReplicaMethods: []string{"nl", "basebackup"},
		ReplicaMethods: map[string]ReplicaMethod{"nl": {Command: "x", NoLeader: true}}}}
	src := &Upstream{Name: "p", Conn: ConnParams{"host": "h"}}
	for _, c := range []struct {
		src        *Upstream
		fromLeader bool
		want       string
	}{
		{nil, false, "[nl]"},
		{nil, true, "[nl]"}, // no leader to take a base backup from
		{src, false, "[nl basebackup]"},
		{src, true, "[basebackup]"},
	} {
		if got := fmt.Sprint(s.replicaMethods(c.src, c.fromLeader)); got != c.want {
			t.Errorf("src=%v fromLeader=%v: %s, want %s", c.src != nil, c.fromLeader, got, c.want)
		}
	}
}
