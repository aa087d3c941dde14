package ctl

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// roleChoices are the values --role accepts.
var roleChoices = []string{"leader", "primary", "standby-leader", "replica", "standby", "any"}

// leaderMember is the leader key's member; a leader key without a member
// key still names a member (with empty data), as in Patroni.
func leaderMember(v *cluster.View) *cluster.Member {
	if v.IsUnlocked() {
		return nil
	}
	if v.Leader.Member != nil {
		return v.Leader.Member
	}
	return &cluster.Member{Name: v.Leader.Name}
}

// membersByRole is get_all_members for one cluster.
func membersByRole(v *cluster.View, role string) []*cluster.Member {
	switch role {
	case "leader", "primary", "standby-leader":
		l := leaderMember(v)
		if l == nil {
			return nil
		}
		r := l.Role
		if role == "leader" || (role == "standby-leader" && !r.IsPrimary()) ||
			(role == "primary" && r != cluster.RoleStandbyLeader) {
			return []*cluster.Member{l}
		}
		return nil
	}
	var out []*cluster.Member
	leader := v.LeaderName()
	for i := range v.Members {
		m := &v.Members[i]
		if role == "any" || ((role == "replica" || role == "standby") && m.Name != leader) {
			out = append(out, m)
		}
	}
	return out
}

// anyMember is get_any_member: the first member with the role (default
// leader) or the named member.
func anyMember(v *cluster.View, role, member string) (*cluster.Member, error) {
	if member != "" {
		if role != "" {
			return nil, errorf("--role and --member are mutually exclusive options")
		}
		role = "any"
	} else if role == "" {
		role = "leader"
	}
	for _, m := range membersByRole(v, role) {
		if member == "" || m.Name == member {
			return m, nil
		}
	}
	return nil, nil
}

// membersLeaderFirst yields members with an api_url, the leader first.
func membersLeaderFirst(v *cluster.View) []*cluster.Member {
	var out []*cluster.Member
	leader := ""
	if l := leaderMember(v); l != nil && l.APIURL != "" {
		leader = l.Name
		out = append(out, l)
	}
	for i := range v.Members {
		m := &v.Members[i]
		if m.APIURL != "" && m.Name != leader {
			out = append(out, m)
		}
	}
	return out
}

// selectMembers is get_members: filter by role and names, print the table,
// prompt for a member when needed, and confirm unless forced.
func (s *session) selectMembers(v *cluster.View, name string, names []string, role string, force bool,
	action string, confirm bool, group *int) ([]*cluster.Member, error) {
	members := membersByRole(v, role)
	candidates := map[string]bool{}
	var candList []string
	for _, m := range members {
		if !candidates[m.Name] {
			candList = append(candList, m.Name)
		}
		candidates[m.Name] = true
	}
	if len(names) == 0 && len(candidates) == 0 {
		return nil, errorf("%s cluster doesn't have any members", name)
	}
	s.outputMembers(v, name, listOptions{group: group})
	if len(names) > 0 {
		var kept []string
		for _, n := range dedup(names) {
			if candidates[n] {
				kept = append(kept, n)
			}
		}
		if len(kept) == 0 {
			// click hands the option's value over as a plain str, whose repr
			// is quoted; reinit passes its enum, whose repr is not.
			shown := pyRepr(role)
			if action == "reinitialize" {
				shown = role
			}
			return nil, errorf("No %s among provided members", shown)
		}
		names = kept
	} else if action != "reinitialize" {
		names = candList
	}
	if len(names) == 0 && !force {
		n, err := s.prompt(fmt.Sprintf("Which member do you want to %s [%s]?", action, strings.Join(candList, ", ")), "", true)
		if err != nil {
			return nil, err
		}
		names = []string{n}
	}
	want := map[string]bool{}
	for _, n := range names {
		if !candidates[n] {
			return nil, errorf("%s is not a member of cluster", n)
		}
		want[n] = true
	}
	var out []*cluster.Member
	for _, m := range members {
		if want[m.Name] {
			out = append(out, m)
		}
	}
	if confirm {
		if err := s.confirmMembers(out, force, action, nil, false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func dedup(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func memberNames(ms []*cluster.Member) string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name
	}
	return strings.Join(names, ", ")
}

// confirmMembers is confirm_members_action.
func (s *session) confirmMembers(ms []*cluster.Member, force bool, action string, at *time.Time, pending bool) error {
	if force {
		return nil
	}
	if at != nil {
		text := fmt.Sprintf("Are you sure you want to schedule %s of members %s at %s?", action, memberNames(ms), pyDateTime(*at))
		if pending {
			text = "The nodes needing a restart will be identified at the scheduled time, and might be different " +
				"from the ones showing pending restart right now. Is this fine?"
		}
		ok, err := s.confirm(text)
		if err != nil {
			return err
		}
		if !ok {
			return errorf("Aborted scheduled %s", action)
		}
		return nil
	}
	ok, err := s.confirm(fmt.Sprintf("Are you sure you want to %s members %s?", action, memberNames(ms)))
	if err != nil {
		return err
	}
	if !ok {
		return errorf("Aborted %s", action)
	}
	return nil
}

// pyDateTime is str(datetime): "YYYY-MM-DD HH:MM:SS[.ffffff]+HH:MM".
func pyDateTime(t time.Time) string {
	s := cluster.FormatTimestamp(t)
	return strings.Replace(s, "T", " ", 1)
}
