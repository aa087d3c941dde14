package ctl

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/api/client"
	"github.com/patroni-go/patroni/internal/cluster"
)

// scheduledLayouts are the forms --scheduled accepts (a subset of what
// dateutil.parser parses: ISO 8601 with T or space, optional seconds,
// fraction and zone, a bare date, or a time of today).
var scheduledLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00", "2006-01-02T15:04Z0700", "2006-01-02T15:04Z07", "2006-01-02T15:04",
	"2006-01-02T15Z07:00", "2006-01-02T15",
	"2006-01-02", "20060102T150405Z07:00", "20060102T150405", "20060102",
}

var timeOnlyLayouts = []string{"15:04:05.999999999", "15:04:05", "15:04"}

// parseScheduled is patronictl's parse_scheduled: nil for "now" (or no
// value), a time in the local zone when the value has none.
func (s *session) parseScheduled(v *string) (*time.Time, error) {
	if v == nil || *v == "" || *v == "now" {
		return nil, nil
	}
	loc := s.env.Now().Location()
	raw := strings.TrimSpace(*v)
	norm := strings.Replace(raw, " ", "T", 1)
	norm = strings.Replace(norm, "T+", "+", 1)
	norm = strings.Replace(norm, "TZ", "Z", 1)
	for _, l := range scheduledLayouts {
		if t, err := time.ParseInLocation(l, norm, loc); err == nil {
			return &t, nil
		}
	}
	for _, l := range timeOnlyLayouts {
		if t, err := time.ParseInLocation(l, raw, loc); err == nil {
			now := s.env.Now()
			d := time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
			return &d, nil
		}
	}
	return nil, errorf("Unable to parse scheduled timestamp (%s). It should be in an unambiguous format (e.g. ISO 8601)", *v)
}

type switchoverArgs struct {
	action    string // failover or switchover
	cluster   string
	group     *int
	leader    *string
	candidate *string
	scheduled *string
	force     bool
}

func (s *session) runSwitchover(a switchoverArgs) error {
	v, st, err := s.load(a.cluster, a.group)
	if err != nil {
		return err
	}
	s.echo("Current cluster topology")
	s.outputMembers(v, a.cluster, listOptions{group: a.group})
	if s.cfg.Citus != nil && a.group == nil {
		if a.force {
			return errorf("For Citus clusters the --group must me specified")
		}
		g, err := s.promptInt("Citus group")
		if err != nil {
			return err
		}
		a.group = &g
		if v, st, err = s.load(a.cluster, a.group); err != nil {
			return err
		}
	}
	gc := globalConfigOf(v)
	leader := v.LeaderName()
	from, err := s.switchoverLeader(a, gc, leader)
	if err != nil {
		return err
	}
	candidate, err := s.chooseCandidate(a, v, gc, leader)
	if err != nil {
		return err
	}
	var at *time.Time
	if a.action == "switchover" {
		sched := a.scheduled
		if sched == nil && !a.force {
			next := s.env.Now().Add(time.Hour).Format("2006-01-02T15:04")
			ans, err := s.prompt("When should the switchover take place (e.g. "+next+" ) ", "now", true)
			if err != nil {
				return err
			}
			sched = &ans
		}
		if at, err = s.parseScheduled(sched); err != nil {
			return err
		}
		if at != nil && gc.paused() {
			return errorf("Can't schedule switchover in the paused state")
		}
	}
	if err := s.confirmSwitchover(a, leader, at); err != nil {
		return err
	}
	req := client.SwitchoverRequest{Leader: from, Candidate: candidate}
	if at != nil {
		req.ScheduledAt = cluster.FormatTimestamp(*at)
	}
	v, ok, err := s.postSwitchover(a, v, req, candidate, at)
	if err != nil || !ok {
		return err
	}
	_ = st
	s.outputMembers(v, a.cluster, listOptions{group: a.group})
	return nil
}

func (s *session) switchoverLeader(a switchoverArgs, gc globalConfig, leader string) (string, error) {
	if a.action != "switchover" {
		return "", nil
	}
	if leader == "" {
		return "", errorf("This cluster has no leader")
	}
	from := leader
	switch {
	case a.leader != nil:
		from = *a.leader
	case !a.force:
		label := "Primary"
		if gc.standbyCluster() {
			label = "Standby Leader"
		}
		ans, err := s.prompt(label, leader, true)
		if err != nil {
			return "", err
		}
		from = ans
	}
	if from != leader {
		return "", errorf("Member %s is not the leader of cluster %s", from, a.cluster)
	}
	return from, nil
}

func (s *session) chooseCandidate(a switchoverArgs, v *cluster.View, gc globalConfig, leader string) (string, error) {
	var names []string
	for _, m := range v.Members {
		if m.Name != leader && !cluster.Tags(m.Tags).NoFailover() {
			names = append(names, m.Name)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "", errorf("No candidates found to %s to", a.action)
	}
	candidate := ""
	if a.candidate != nil {
		candidate = *a.candidate
	} else if !a.force {
		ans, err := s.prompt("Candidate "+pyList(names), "", true)
		if err != nil {
			return "", err
		}
		candidate = ans
	}
	if a.action == "failover" && candidate == "" {
		return "", errorf("Failover could be performed only to a specific candidate")
	}
	if candidate != "" && !contains(names, candidate) {
		if candidate == leader {
			return "", errorf("Member %s is already the leader of cluster %s", candidate, a.cluster)
		}
		return "", errorf("Member %s does not exist in cluster %s or is tagged as nofailover", candidate, a.cluster)
	}
	if !a.force && a.action == "failover" && gc.synchronousMode() && !v.Sync.IsEmpty() && !v.Sync.Matches(candidate, true) {
		ok, err := s.confirm(fmt.Sprintf("Are you sure you want to failover to the asynchronous node %s?", candidate))
		if err != nil {
			return "", err
		}
		if !ok {
			return "", errorf("Aborting %s", a.action)
		}
	}
	return candidate, nil
}

func (s *session) confirmSwitchover(a switchoverArgs, leader string, at *time.Time) error {
	if a.force {
		return nil
	}
	demote := ""
	if leader != "" {
		demote = ", demoting current leader " + leader
	}
	if at != nil {
		ok, err := s.confirm(fmt.Sprintf("Are you sure you want to schedule switchover of cluster %s at %s%s?",
			a.cluster, cluster.FormatTimestamp(*at), demote))
		if err != nil {
			return err
		}
		if !ok {
			return errorf("Aborting scheduled %s", a.action)
		}
		return nil
	}
	ok, err := s.confirm(fmt.Sprintf("Are you sure you want to %s cluster %s%s?", a.action, a.cluster, demote))
	if err != nil {
		return err
	}
	if !ok {
		return errorf("Aborting %s", a.action)
	}
	return nil
}

// postSwitchover sends the request to the leader (or the candidate when
// there is none) and falls back to writing the failover key when nobody
// answers. ok is false when the member refused (the table is not printed).
func (s *session) postSwitchover(a switchoverArgs, v *cluster.View, req client.SwitchoverRequest,
	candidate string, at *time.Time) (*cluster.View, bool, error) {
	target := leaderMember(v)
	if target == nil && candidate != "" {
		target = v.Member(candidate)
	}
	r, err := s.sendSwitchover(a.action, target, req)
	if err == nil {
		if r.StatusCode != 200 && r.StatusCode != 202 {
			s.echo("%s failed, details: %d, %s", titleCase(a.action), r.StatusCode, r.Text())
			return v, false, nil
		}
		nv, _, lerr := s.load(a.cluster, a.group)
		if lerr != nil {
			return v, false, lerr
		}
		s.echo("%s %s", s.timestamp(5), r.Text())
		return nv, true, nil
	}
	s.warn("Failing over to DCS")
	s.echo("%s Could not %s using Patroni api, falling back to DCS", s.timestamp(5), a.action)
	st, serr := s.store(a.cluster, a.group)
	if serr != nil {
		return v, false, serr
	}
	f := cluster.Failover{Leader: req.Leader, Member: candidate, ScheduledAt: at}
	if _, err := st.SetFailover(s.ctx, f, -1); err != nil {
		return v, false, dcsError(err)
	}
	return v, true, nil
}

func (s *session) sendSwitchover(action string, target *cluster.Member, req client.SwitchoverRequest) (*client.Response, error) {
	if target == nil || target.APIURL == "" {
		return nil, fmt.Errorf("no member to send the %s request to", action)
	}
	api, err := s.memberAPI()
	if err != nil {
		return nil, err
	}
	if action == "failover" {
		return api.Failover(s.ctx, target.APIURL, req)
	}
	r, err := api.Switchover(s.ctx, target.APIURL, req)
	if err == nil && r.StatusCode == 501 && strings.Contains(r.Text(), "Server does not support this operation") {
		return api.Failover(s.ctx, target.APIURL, req)
	}
	return r, err
}

// pyList is str() of a Python list of strings: ['a', 'b'].
func pyList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = pyRepr(n)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// pyRepr is repr() of a str: single quotes unless the text contains one.
func pyRepr(s string) string {
	quote := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		quote = `"`
	}
	r := strings.ReplaceAll(s, `\`, `\\`)
	if quote == "'" {
		r = strings.ReplaceAll(r, "'", `\'`)
	}
	r = strings.NewReplacer("\n", `\n`, "\t", `\t`, "\r", `\r`).Replace(r)
	return quote + r + quote
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
