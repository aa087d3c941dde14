package api

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// parseRestart validates a POST /restart body in key order, as Patroni does; the first
// bad key decides the answer.
func parseRestart(body *obj, s *Server) (RestartRequest, int, string) {
	var req RestartRequest
	now := s.opts.Now()
	for _, k := range body.keys {
		v := body.vals[k]
		switch k {
		case "schedule":
			t, serr := parseSchedule(v, "restart", now)
			if serr != nil {
				return req, serr.code, serr.msg
			}
			req.Schedule = &t
		case "role":
			role, _ := v.(string)
			if role != "primary" && role != "standby_leader" && role != "replica" {
				return req, 400, "PostgreSQL role should be either primary, standby_leader, or replica"
			}
			req.Role = role
		case "postgres_version":
			if msg := checkPostgresVersion(v); msg != "" {
				return req, 400, msg
			}
			req.PostgresVersion = v.(string)
		case "timeout":
			n, ok := parseInt(pyStr(v), "s")
			if !ok || n <= 0 {
				return req, 400, "Timeout should be a positive number of seconds"
			}
			req.Timeout = n
		case "restart_pending":
			req.RestartPending = truthyAny(v)
		default:
			return req, 400, "Unknown filter for the scheduled restart: " + k
		}
	}
	return req, 0, ""
}

func (s *Server) postRestart(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r, true)
	if !ok {
		return
	}
	if _, has := body.get("schedule"); has && s.pausedNow(r) {
		s.text(w, http.StatusInternalServerError, "Can't schedule restart in the paused state")
		return
	}
	req, code, msg := parseRestart(body, s)
	if code != 0 {
		s.text(w, code, msg)
		return
	}
	if s.opts.Node == nil {
		s.sendError(w, http.StatusServiceUnavailable, "")
		return
	}
	if req.Schedule != nil {
		if s.opts.Node.ScheduleRestart(req) {
			s.text(w, http.StatusAccepted, "Restart scheduled")
		} else {
			s.text(w, http.StatusConflict, "Another restart is already scheduled")
		}
		return
	}
	done, msg, err := s.opts.Node.Restart(r.Context(), req)
	switch {
	case err != nil:
		s.log.Error("exception during restart", "err", err)
		s.text(w, http.StatusBadRequest, "restart failed")
	case done:
		s.text(w, http.StatusOK, msg)
	default:
		s.text(w, http.StatusServiceUnavailable, msg)
	}
}

// pausedNow is the pause flag of a fresh DCS read, or the last known one.
func (s *Server) pausedNow(r *http.Request) bool {
	snap := s.opts.Publisher.Load()
	view, err := s.loadView(r.Context())
	if err != nil {
		view = nil
	}
	return flagsOf(view, snap).paused
}

func (s *Server) deleteRestart(w http.ResponseWriter, r *http.Request) {
	if s.opts.Node != nil && s.opts.Node.CancelScheduledRestart() {
		s.text(w, http.StatusOK, "scheduled restart deleted")
		return
	}
	s.text(w, http.StatusNotFound, "no restarts are scheduled")
}

func (s *Server) postReload(w http.ResponseWriter, r *http.Request) {
	if s.opts.Node != nil {
		s.opts.Node.Reload()
	}
	s.text(w, http.StatusAccepted, "reload scheduled")
}

func (s *Server) postSigterm(w http.ResponseWriter, r *http.Request) {
	if s.opts.Node != nil {
		s.opts.Node.Shutdown()
	}
	s.text(w, http.StatusAccepted, "shutdown scheduled")
}

func (s *Server) postReinitialize(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r, true)
	if !ok {
		return
	}
	force, _ := body.get("force")
	fromLeader, _ := body.get("from_leader")
	if s.opts.Node == nil {
		s.sendError(w, http.StatusServiceUnavailable, "")
		return
	}
	if refusal := s.opts.Node.Reinitialize(truthyBool(force), truthyBool(fromLeader)); refusal != "" {
		s.text(w, http.StatusServiceUnavailable, refusal)
		return
	}
	s.text(w, http.StatusOK, "reinitialize started")
}

// parseFailsafe reads name, conn_url, api_url and slots; unusable fields stay empty.
func parseFailsafe(body *obj) FailsafeRequest {
	var req FailsafeRequest
	req.Name, _ = body.vals["name"].(string)
	req.ConnURL, _ = body.vals["conn_url"].(string)
	req.APIURL, _ = body.vals["api_url"].(string)
	if slots, ok := body.vals["slots"].(*obj); ok {
		req.Slots = make(map[string]int64, slots.len())
		for _, k := range slots.keys {
			if n, ok := jsonInt(slots.vals[k]); ok {
				req.Slots[k] = n
			}
		}
	}
	return req
}

// jsonInt reads an LSN sent as a JSON integer (or a decimal string).
func jsonInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	return 0, false
}

func (s *Server) postFailsafe(w http.ResponseWriter, r *http.Request) {
	snap := s.opts.Publisher.Load()
	if !snap.FailsafeMode {
		s.sendError(w, http.StatusBadGateway, "")
		return
	}
	body, ok := s.readBody(w, r, false)
	if !ok {
		return
	}
	if s.opts.Node == nil {
		s.sendError(w, http.StatusServiceUnavailable, "")
		return
	}
	lsn, hasLSN, err := s.opts.Node.ReceiveFailsafe(parseFailsafe(body))
	if err != nil {
		s.text(w, http.StatusInternalServerError, err.Error())
		return
	}
	if hasLSN {
		w.Header().Set("lsn", strconv.FormatInt(lsn, 10))
	}
	s.text(w, http.StatusOK, "Accepted")
}

// postMPP accepts Citus events; this implementation has no Citus coordinator support,
// so a valid event is acknowledged and ignored.
func (s *Server) postMPP(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.readBody(w, r, false); !ok {
		return
	}
	s.text(w, http.StatusOK, "OK")
}
