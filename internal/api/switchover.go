package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// switchoverRequest is a parsed POST /failover or /switchover body.
type switchoverRequest struct {
	leader, candidate string
	scheduledAt       any // raw value; nil or "" when absent
	hasSchedule       bool
}

func parseSwitchover(body *obj) switchoverRequest {
	var r switchoverRequest
	r.leader = jsonString(body.vals["leader"])
	r.candidate = jsonString(body.vals["candidate"])
	if r.candidate == "" {
		r.candidate = jsonString(body.vals["member"])
	}
	r.scheduledAt = body.vals["scheduled_at"]
	r.hasSchedule = truthyAny(r.scheduledAt)
	return r
}

// jsonString is a string field as Patroni would use it; "" for null, false or "".
func jsonString(v any) string {
	if v == nil || v == false {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return pyStr(v)
}

func (s *Server) postFailover(w http.ResponseWriter, r *http.Request) {
	s.failover(w, r, "failover")
}

func (s *Server) postSwitchover(w http.ResponseWriter, r *http.Request) {
	s.failover(w, r, "switchover")
}

func (s *Server) failover(w http.ResponseWriter, r *http.Request, action string) {
	body, ok := s.readBody(w, r, false)
	if !ok {
		return
	}
	if s.opts.Store == nil {
		s.sendError(w, http.StatusServiceUnavailable, "")
		return
	}
	req := parseSwitchover(body)
	view, err := s.loadView(r.Context())
	if err != nil {
		s.log.Warn("failover: DCS read failed", "err", err)
		s.sendError(w, http.StatusServiceUnavailable, "")
		return
	}
	flags := flagsOf(view, s.opts.Publisher.Load())
	code, msg, at := s.validateFailover(r.Context(), view, flags, &req, &action)
	if msg != "" {
		s.text(w, code, msg)
		return
	}
	f := cluster.Failover{Leader: req.leader, Member: req.candidate, ScheduledAt: at}
	ctx, cancel := s.storeCtx(r.Context())
	defer cancel()
	if ok, err := s.opts.Store.SetFailover(ctx, f, noVersion); err != nil || !ok {
		s.text(w, http.StatusServiceUnavailable, "failed to write failover key into DCS")
		return
	}
	s.wake()
	if at != nil {
		s.text(w, http.StatusAccepted, titleCase(action)+" scheduled")
		return
	}
	code, msg = s.pollFailover(r.Context(), view.LeaderName(), req.candidate, action)
	s.text(w, code, msg)
}

// validateFailover applies Patroni's checks in order; a non-empty message is the answer.
// A failover naming a leader is turned into a switchover (action is updated).
func (s *Server) validateFailover(ctx context.Context, view *cluster.View, f globalFlags,
	req *switchoverRequest, action *string) (int, string, *time.Time) {
	switch {
	case *action == "failover" && req.candidate == "":
		return 400, "Failover could be performed only to a specific candidate", nil
	case *action == "switchover" && req.leader == "":
		return 400, "Switchover could be performed only from a specific leader", nil
	}
	var at *time.Time
	if req.hasSchedule {
		switch {
		case *action == "failover":
			return 400, "Failover can't be scheduled", nil
		case f.paused:
			return 400, "Can't schedule switchover in the paused state", nil
		}
		t, serr := parseSchedule(req.scheduledAt, *action, s.opts.Now())
		if serr != nil {
			return serr.code, serr.msg, nil
		}
		at = &t
	}
	if f.paused && req.candidate == "" {
		return 400, "Switchover is possible only to a specific candidate in a paused state", nil
	}
	if *action == "failover" && req.leader != "" {
		*action = "switchover"
	}
	if req.leader == req.candidate {
		return 400, "Switchover target and source are the same", nil
	}
	if at == nil {
		if msg := s.failoverPossible(ctx, view, f, req, *action); msg != "" {
			return 412, msg, nil
		}
	}
	return 0, "", at
}

// failoverPossible is Patroni's is_failover_possible.
func (s *Server) failoverPossible(ctx context.Context, view *cluster.View, f globalFlags,
	req *switchoverRequest, action string) string {
	leader := view.LeaderName()
	if req.leader != "" && leader != req.leader {
		return "leader name does not match"
	}
	strictSync := f.sync && !f.quorum
	var members []cluster.Member
	switch {
	case req.candidate != "":
		if action == "switchover" && strictSync && !view.Sync.Matches(req.candidate, false) {
			return "candidate name does not match with sync_standby"
		}
		m := view.Member(req.candidate)
		if m == nil {
			return "candidate does not exists"
		}
		members = []cluster.Member{*m}
	case strictSync:
		for _, m := range view.Members {
			if view.Sync.Matches(m.Name, false) {
				members = append(members, m)
			}
		}
		if len(members) == 0 {
			return action + " is not possible: can not find sync_standby"
		}
	default:
		for _, m := range view.Members {
			if leader == "" || (m.Name != leader && m.APIURL != "") {
				members = append(members, m)
			}
		}
		if len(members) == 0 {
			return action + " is not possible: cluster does not have members except leader"
		}
	}
	if s.opts.Peers != nil && s.opts.Peers.AnyHealthy(ctx, members) {
		return ""
	}
	return action + " is not possible: no good candidates have been found"
}

// pollFailover watches the DCS until the leader changes, the request is dropped, or
// 2 × max(10, loop_wait) seconds pass.
func (s *Server) pollFailover(ctx context.Context, oldLeader, candidate, action string) (int, string) {
	loopWait := int(s.opts.Publisher.Load().LoopWait / time.Second)
	timeout := max(10, loopWait)
	past := map[string]string{"failover": "failed", "switchover": "switched"}[action]
	tick := time.NewTicker(s.opts.PollInterval)
	defer tick.Stop()
	for i := 0; i < timeout*2; i++ {
		select {
		case <-ctx.Done():
			return 503, titleCase(action) + " status unknown"
		case <-tick.C:
		}
		view, err := s.loadView(ctx)
		if err != nil {
			continue
		}
		if leader := view.LeaderName(); leader != "" && leader != oldLeader {
			if candidate == "" || candidate == leader {
				return 200, "Successfully " + past + " over to \"" + leader + "\""
			}
			return 200, titleCase(past) + " over to \"" + leader + "\" instead of \"" + candidate + "\""
		}
		if view.Failover.IsEmpty() {
			return 503, titleCase(action) + " failed"
		}
	}
	return 503, fmt.Sprintf("%s status unknown after %d seconds; operation may still be in progress", titleCase(action), timeout*2)
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (s *Server) deleteSwitchover(w http.ResponseWriter, r *http.Request) {
	if s.opts.Store == nil {
		s.sendError(w, http.StatusServiceUnavailable, "")
		return
	}
	ctx, cancel := s.storeCtx(r.Context())
	defer cancel()
	view, err := s.opts.Store.Load(ctx)
	if err != nil {
		s.sendError(w, http.StatusServiceUnavailable, "")
		return
	}
	fo := view.Failover
	if fo == nil || fo.ScheduledAt == nil {
		s.text(w, http.StatusNotFound, "no switchover is scheduled")
		return
	}
	if ok, err := s.opts.Store.SetFailover(ctx, cluster.Failover{}, fo.Version); err != nil || !ok {
		s.sendError(w, http.StatusConflict, "")
		return
	}
	s.text(w, http.StatusOK, "scheduled switchover deleted")
}
