package ha

import (
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/pg"
)

// A primary's configuration must never be written as a replica's (standby.signal would
// turn it into a replica at its next start), whatever the last observation said.
func TestPGRoleFollowsTheHARole(t *testing.T) {
	for role, want := range map[cluster.Role]pg.Role{
		cluster.RolePrimary: pg.RolePrimary, cluster.RoleMaster: pg.RolePrimary, cluster.RolePromoted: pg.RolePrimary,
		cluster.RoleStandbyLeader: pg.RoleStandbyLeader, cluster.RoleReplica: pg.RoleReplica,
		cluster.RoleDemoted: pg.RoleReplica, cluster.RoleUninitialized: pg.RoleReplica,
	} {
		if got := pgRole(role); got != want {
			t.Errorf("pgRole(%s) = %s, want %s", role, got, want)
		}
	}
}

func TestRestartConditionHelpers(t *testing.T) {
	for in, want := range map[string]int{"15.4": 150004, "17": 170000, "9.6.3": 90603, "13.0": 130000} {
		if got, err := versionNum(in); err != nil || got != want {
			t.Errorf("versionNum(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := versionNum("fifteen"); err == nil {
		t.Error("a version that is not a number must be refused")
	}
	if !roleMatches(cluster.RolePrimary, "master") || !roleMatches(cluster.RoleMaster, "primary") || roleMatches(cluster.RoleReplica, "primary") {
		t.Error("primary and master name the same role")
	}
}

func TestStallLimit(t *testing.T) {
	s := Settings{TTL: 30 * time.Second, RetryTimeout: 10 * time.Second}
	if got := stallLimit(s); got != 55*time.Second {
		t.Errorf("stallLimit = %s, want ttl/2 + 4 × retry_timeout = 55s", got)
	}
}
