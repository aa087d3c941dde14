package ctl

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/api/client"
	"github.com/patroni-go/patroni/internal/cluster"
)

// checkResponse prints a failure (status >= 400) or, unless silent, success.
func (s *session) checkResponse(r *client.Response, member, action string, silent bool) bool {
	if r.StatusCode >= 400 {
		s.echo("Failed: %s for member %s, status code=%d, (%s)", action, member, r.StatusCode, r.Text())
		return false
	}
	if !silent {
		s.echo("Success: %s for member %s", action, member)
	}
	return true
}

type memberArgs struct {
	cluster string
	names   []string
	group   *int
	role    string
	force   bool
}

func (s *session) runReload(a memberArgs) error {
	v, _, err := s.load(a.cluster, a.group)
	if err != nil {
		return err
	}
	ms, err := s.selectMembers(v, a.cluster, a.names, a.role, a.force, "reload", true, a.group)
	if err != nil {
		return err
	}
	api, err := s.memberAPI()
	if err != nil {
		return err
	}
	for _, m := range ms {
		r, err := api.Reload(s.ctx, m.APIURL)
		if err != nil {
			return requestError(err)
		}
		switch r.StatusCode {
		case 200:
			s.echo("No changes to apply on member %s", m.Name)
		case 202:
			s.echo("Reload request received for member %s and will be processed within %d seconds",
				m.Name, globalConfigOf(v).loopWait())
		default:
			s.echo("Failed: reload for member %s, status code=%d, (%s)", m.Name, r.StatusCode, r.Text())
		}
	}
	return nil
}

// requestError reports a member that did not answer at all; Patroni lets
// the urllib3 exception end the command.
func requestError(err error) error { return errorf("%v", err) }

type restartArgs struct {
	memberArgs
	any       bool
	scheduled *string
	pgVersion *string
	pending   bool
	timeout   *string
}

func (s *session) runRestart(a restartArgs) error {
	v, _, err := s.load(a.cluster, a.group)
	if err != nil {
		return err
	}
	ms, err := s.selectMembers(v, a.cluster, a.names, a.role, a.force, "restart", false, a.group)
	if err != nil {
		return err
	}
	scheduled := a.scheduled
	if scheduled == nil && !a.force {
		next := s.env.Now().Add(time.Hour).Format("2006-01-02T15:04")
		ans, err := s.prompt("When should the restart take place (e.g. "+next+") ", "now", true)
		if err != nil {
			return err
		}
		scheduled = &ans
	}
	at, err := s.parseScheduled(scheduled)
	if err != nil {
		return err
	}
	req := client.RestartRequest{RestartPending: a.pending}
	if a.pending && at == nil {
		ms = filterMembers(ms, func(m *cluster.Member) bool { return m.PendingRestart })
	}
	if a.any && len(ms) > 0 {
		ms = []*cluster.Member{ms[s.env.RandIntn(len(ms))]}
	}
	if err := s.confirmMembers(ms, a.force, "restart", at, a.pending); err != nil {
		return err
	}
	version := a.pgVersion
	if version == nil && !a.force {
		ans, err := s.prompt("Restart if the PostgreSQL version is less than provided (e.g. 9.5.2) ", "", true)
		if err != nil {
			return err
		}
		version = &ans
	}
	if version != nil && *version != "" {
		if err := checkPGVersion(*version); err != nil {
			return err
		}
		req.PostgresVersion = *version
	}
	if at != nil {
		if globalConfigOf(v).paused() {
			return errorf("Can't schedule restart in the paused state")
		}
		req.Schedule = cluster.FormatTimestamp(*at)
	}
	if a.timeout != nil {
		req.Timeout = *a.timeout
	}
	return s.restartMembers(ms, req, a.force)
}

func filterMembers(ms []*cluster.Member, keep func(*cluster.Member) bool) []*cluster.Member {
	var out []*cluster.Member
	for _, m := range ms {
		if keep(m) {
			out = append(out, m)
		}
	}
	return out
}

func (s *session) restartMembers(ms []*cluster.Member, req client.RestartRequest, force bool) error {
	api, err := s.memberAPI()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if req.Schedule != "" && force && len(m.ScheduledRestart) > 0 {
			r, err := api.CancelRestart(s.ctx, m.APIURL)
			if err != nil {
				return requestError(err)
			}
			s.checkResponse(r, m.Name, "flush scheduled restart", true)
		}
		r, err := api.Restart(s.ctx, m.APIURL, req)
		if err != nil {
			return requestError(err)
		}
		switch r.StatusCode {
		case 200:
			s.echo("Success: restart on member %s", m.Name)
		case 202:
			s.echo("Success: restart scheduled on member %s", m.Name)
		case 409:
			s.echo("Failed: another restart is already scheduled on member %s", m.Name)
		default:
			s.echo("Failed: restart for member %s, status code=%d, (%s)", m.Name, r.StatusCode, r.Text())
		}
	}
	return nil
}

// checkPGVersion is postgres_version_to_int's validation.
func checkPGVersion(v string) error {
	parts := strings.Split(v, ".")
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return errorf("Invalid PostgreSQL version: %s", v)
		}
		nums[i] = n
	}
	if len(nums) < 2 || (len(nums) == 2 && nums[0] < 10) || len(nums) > 3 {
		return errorf("Invalid PostgreSQL version format: X.Y or X.Y.Z is accepted: %s", v)
	}
	return nil
}

type reinitArgs struct {
	memberArgs
	fromLeader bool
	wait       bool
}

func (s *session) runReinit(a reinitArgs) error {
	v, _, err := s.load(a.cluster, a.group)
	if err != nil {
		return err
	}
	ms, err := s.selectMembers(v, a.cluster, a.names, "replica", a.force, "reinitialize", true, a.group)
	if err != nil {
		return err
	}
	api, err := s.memberAPI()
	if err != nil {
		return err
	}
	var waitOn []*cluster.Member
	for _, m := range ms {
		started, err := s.reinitMember(api, m, a.force, a.fromLeader)
		if err != nil {
			return err
		}
		if started && a.wait {
			waitOn = append(waitOn, m)
		}
	}
	return s.waitReinit(api, waitOn)
}

func (s *session) reinitMember(api MemberAPI, m *cluster.Member, force, fromLeader bool) (bool, error) {
	forceBody := force
	for {
		r, err := api.Reinitialize(s.ctx, m.APIURL, forceBody, fromLeader)
		if err != nil {
			return false, requestError(err)
		}
		started := s.checkResponse(r, m.Name, "reinitialize", false)
		if !started && strings.HasSuffix(r.Text(), " already in progress") && !force {
			ok, err := s.confirm("Do you want to cancel it and reinitialize anyway?")
			if err != nil {
				return false, err
			}
			if ok {
				forceBody = true
				continue
			}
		}
		return started, nil
	}
}

func (s *session) waitReinit(api MemberAPI, waitOn []*cluster.Member) error {
	var shown string
	for len(waitOn) > 0 {
		if names := memberNames(waitOn); names != shown {
			s.echo("Waiting for reinitialize to complete on: %s", names)
			shown = names
		}
		if err := s.env.Sleep(s.ctx, 2*time.Second); err != nil {
			return err
		}
		var still []*cluster.Member
		for _, m := range waitOn {
			r, err := api.Get(s.ctx, m.APIURL, "patroni")
			if err != nil {
				return requestError(err)
			}
			var doc struct {
				State string `json:"state"`
			}
			if err := json.Unmarshal(r.Body, &doc); err != nil {
				return errorf("%v", err)
			}
			if doc.State != "creating replica" {
				s.echo("Reinitialize is completed on: %s", m.Name)
			} else {
				still = append(still, m)
			}
		}
		waitOn = still
	}
	return nil
}

func (s *session) runFlush(a memberArgs, target string) error {
	v, st, err := s.load(a.cluster, a.group)
	if err != nil {
		return err
	}
	if target == "restart" {
		ms, err := s.selectMembers(v, a.cluster, a.names, a.role, a.force, "flush", true, a.group)
		if err != nil {
			return err
		}
		api, err := s.memberAPI()
		if err != nil {
			return err
		}
		for _, m := range ms {
			if len(m.ScheduledRestart) == 0 {
				s.echo("No scheduled restart for member %s", m.Name)
				continue
			}
			r, err := api.CancelRestart(s.ctx, m.APIURL)
			if err != nil {
				return requestError(err)
			}
			s.checkResponse(r, m.Name, "flush scheduled restart", false)
		}
		return nil
	}
	if v.Failover == nil || v.Failover.ScheduledAt == nil {
		s.echo("No pending scheduled switchover")
		return nil
	}
	api, err := s.memberAPI()
	if err != nil {
		return err
	}
	for _, m := range membersLeaderFirst(v) {
		r, err := api.CancelSwitchover(s.ctx, m.APIURL)
		if err != nil {
			s.warn("%v", err)
			s.warn("Member %s is not accessible", m.Name)
			continue
		}
		switch r.StatusCode {
		case 200:
			s.echo("Success: %s", r.Text())
			return nil
		case 404:
			s.echo("Failed: %s", r.Text())
			return nil
		}
		s.echo("Failed: member=%s, status_code=%d, (%s)", m.Name, r.StatusCode, r.Text())
	}
	s.warn("Failing over to DCS")
	s.echo("%s Could not find any accessible member of cluster %s", s.timestamp(5), a.cluster)
	if _, err := st.SetFailover(s.ctx, cluster.Failover{}, v.Failover.Version); err != nil {
		return dcsError(err)
	}
	return nil
}
