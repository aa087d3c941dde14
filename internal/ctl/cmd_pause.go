package ctl

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/dcs"
)

// promptInt asks for an integer like click.prompt(type=int).
func (s *session) promptInt(text string) (int, error) {
	for {
		ans, err := s.prompt(text, "", false)
		if err != nil {
			return 0, err
		}
		n, err := strconv.Atoi(strings.TrimSpace(ans))
		if err == nil {
			return n, nil
		}
		fmt.Fprintf(s.env.Stderr, "Error: '%s' is not a valid integer.\n", ans)
	}
}

func pauseWord(paused bool, on, off string) string {
	if paused {
		return on
	}
	return off
}

func (s *session) runTogglePause(name string, group *int, paused, wait bool) error {
	group = s.defaultGroup(group)
	v, st, err := s.load(name, group)
	if err != nil {
		return err
	}
	if globalConfigOf(v).paused() == paused {
		return errorf("Cluster is %s paused", pauseWord(paused, "already", "not"))
	}
	api, err := s.memberAPI()
	if err != nil {
		return err
	}
	var value any
	if paused {
		value = true
	}
	for _, m := range membersLeaderFirst(v) {
		r, err := api.PatchConfig(s.ctx, m.APIURL, map[string]any{"pause": value})
		if err != nil {
			s.warn("%v", err)
			s.warn("Member %s is not accessible", m.Name)
			continue
		}
		if r.StatusCode != 200 {
			s.echo("Failed: %s cluster management status code=%d, (%s)",
				pauseWord(paused, "pause", "resume"), r.StatusCode, r.Text())
			return nil
		}
		if wait {
			return s.waitPause(st, paused, v)
		}
		s.echo("Success: cluster management is %s", pauseWord(paused, "paused", "resumed"))
		return nil
	}
	return errorf("Can not find accessible cluster member")
}

// waitPause polls the DCS for up to loop_wait+1 seconds until every member
// that had an api_url reports the new pause state in its member key.
func (s *session) waitPause(st dcs.Store, paused bool, old *cluster.View) error {
	s.echo("'%s' request sent, waiting until it is recognized by all nodes", pauseWord(paused, "pause", "resume"))
	versions := map[string]int64{}
	for _, m := range old.Members {
		if m.APIURL != "" {
			versions[m.Name] = m.Version
		}
	}
	loopWait := globalConfigOf(old).loopWait()
	deadline := s.env.Now().Add(time.Duration(loopWait+1) * time.Second)
	var v *cluster.View
	for {
		var err error
		if v, err = st.Load(s.ctx); err != nil {
			return dcsError(err)
		}
		done := true
		for _, m := range v.Members {
			if _, ok := versions[m.Name]; ok && m.Pause != paused {
				done = false
			}
		}
		if done {
			break
		}
		if !s.env.Now().Before(deadline) {
			var remaining []string
			for _, m := range v.Members {
				if ver, ok := versions[m.Name]; ok && m.Pause != paused && ver != m.Version {
					remaining = append(remaining, m.Name)
				}
			}
			if len(remaining) > 0 {
				s.echo("%s members didn't recognized pause state after %d seconds", strings.Join(remaining, ", "), loopWait)
				return nil
			}
			break
		}
		if err := s.env.Sleep(s.ctx, time.Second); err != nil {
			return err
		}
	}
	s.echo("Success: cluster management is %s", pauseWord(paused, "paused", "resumed"))
	return nil
}

type demoteArgs struct {
	host, restoreCommand, slotName string
	port                           int
}

func (s *session) runDemoteCluster(name string, force bool, a demoteArgs) error {
	if a.host == "" && a.port == 0 && a.restoreCommand == "" {
		return errorf("At least --host, --port or --restore-command should be specified")
	}
	cfg := map[string]any{}
	if a.host != "" {
		cfg["host"] = a.host
	}
	if a.port != 0 {
		cfg["port"] = a.port
	}
	if a.slotName != "" {
		cfg["primary_slot_name"] = a.slotName
	}
	if a.restoreCommand != "" {
		cfg["restore_command"] = a.restoreCommand
	}
	return s.changeClusterRole(name, force, cfg)
}

// changeClusterRole is demote-cluster (standbyConfig set) and
// promote-cluster (nil): PATCH the leader's config and watch the leader key
// until the leader runs in the target role.
func (s *session) changeClusterRole(name string, force bool, standbyConfig map[string]any) error {
	demote := standbyConfig != nil
	action := pauseWord(demote, "demot", "promot")
	target := pauseWord(demote, string(cluster.RoleStandbyLeader), string(cluster.RolePrimary))
	v, st, err := s.load(name, nil)
	if err != nil {
		return err
	}
	leaderName := v.LeaderName()
	if leaderName == "" {
		return errorf("Cluster has no leader, %sion is not possible", action)
	}
	if l := leaderMember(v); string(l.Role) == target {
		return errorf("Cluster is already in the required state")
	}
	s.echo("Current cluster topology")
	s.outputMembers(v, name, listOptions{})
	if !force {
		ok, err := s.confirm(fmt.Sprintf("Are you sure you want to %se %s cluster?", action, name))
		if err != nil {
			return err
		}
		if !ok {
			return errorf("Aborted cluster %sion", action)
		}
	}
	if err := s.patchStandbyCluster(v, name, action, standbyConfig); err != nil {
		return err
	}
	return s.watchRoleChange(st, name, leaderName, target, demote)
}

func (s *session) patchStandbyCluster(v *cluster.View, name, action string, standbyConfig map[string]any) error {
	api, err := s.memberAPI()
	if err != nil {
		return errorf("Failed to %se %s cluster: %v", action, name, err)
	}
	var value any
	if standbyConfig != nil {
		value = standbyConfig
	}
	r, err := api.PatchConfig(s.ctx, leaderMember(v).APIURL, map[string]any{"standby_cluster": value})
	if err != nil {
		return errorf("Failed to %se %s cluster: %v", action, name, err)
	}
	if r.StatusCode != 200 {
		msg := fmt.Sprintf("Failed to %se %s cluster: /config PATCH status code=%d, (%s)", action, name, r.StatusCode, r.Text())
		return errorf("Failed to %se %s cluster: %s", action, name, msg)
	}
	return nil
}

func (s *session) watchRoleChange(st dcs.Store, name, leaderName, target string, demote bool) error {
	var v *cluster.View
	for first := true; ; first = false {
		if !first {
			if err := s.env.Sleep(s.ctx, time.Second); err != nil {
				return err
			}
		}
		var err error
		if v, err = st.Load(s.ctx); err != nil {
			return dcsError(err)
		}
		now := s.env.Now().Format("2006-01-02 15:04:05")
		l := leaderMember(v)
		role, state := "None", "None"
		if l != nil {
			role, state = string(l.Role), l.State
		}
		old := v.Member(leaderName)
		if l != nil && role == target && state == "running" && (!demote || (old != nil && old.State == "running")) {
			s.echo("%s cluster is successfully %sed", now, pauseWord(demote, "demot", "promot"))
			break
		}
		parts := []string{fmt.Sprintf("%s cluster is unlocked: %s", now, pauseWord(l == nil, "True", "False")),
			"leader role: " + role, "leader state: " + state}
		if demote && l != nil && l.Name != leaderName && old != nil && old.State != "" {
			parts = append(parts, "previous leader state: "+pyRepr(old.State))
		}
		s.echo("%s", strings.Join(parts, ", "))
	}
	s.outputMembers(v, name, listOptions{})
	return nil
}
