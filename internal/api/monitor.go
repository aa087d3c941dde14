package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

// loadView does a fresh DCS read; without a Store it falls back to the cached view.
func (s *Server) loadView(ctx context.Context) (*cluster.View, error) {
	if s.opts.Store == nil {
		if v := s.opts.Publisher.Load().View; v != nil {
			return v, nil
		}
		return nil, fmt.Errorf("no DCS store configured")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return s.opts.Store.Load(ctx)
}

// cachedOrLoad is Patroni's "dcs.cluster or dcs.get_cluster()".
func (s *Server) cachedOrLoad(ctx context.Context) (*cluster.View, error) {
	if v := s.opts.Publisher.Load().FreshView(s.opts.Now()); v != nil {
		return v, nil
	}
	return s.loadView(ctx)
}

func (s *Server) getCluster(w http.ResponseWriter, r *http.Request) {
	view, err := s.loadView(r.Context())
	if err != nil {
		s.log.Warn("GET /cluster: DCS read failed", "err", err)
		s.sendError(w, http.StatusServiceUnavailable, "")
		return
	}
	doc := clusterDoc(view, flagsOf(view, s.opts.Publisher.Load()))
	doc.set("scope", s.opts.Publisher.Load().Scope)
	s.json(w, http.StatusOK, doc)
}

// globalFlags are the parts of the dynamic configuration the API interprets.
type globalFlags struct {
	paused, standby, sync, quorum, failsafe bool
}

// flagsOf reads the flags from the view's config key, or takes the HA loop's
// understanding when the key is missing or invalid.
func flagsOf(view *cluster.View, snap *Snapshot) globalFlags {
	if view == nil || !view.Config.IsValid() {
		return globalFlags{snap.Paused, snap.StandbyCluster, snap.SynchronousMode, snap.QuorumCommit, snap.FailsafeMode}
	}
	d := view.Config.Data
	f := globalFlags{paused: truthyBool(d["pause"]), failsafe: truthyBool(d["failsafe_mode"])}
	if sc, ok := d["standby_cluster"].(map[string]any); ok {
		for _, k := range []string{"host", "port", "restore_command"} {
			f.standby = f.standby || truthyAny(sc[k])
		}
	}
	if mode, ok := d["synchronous_mode"].(string); ok && strings.EqualFold(mode, "quorum") {
		f.quorum = true
	}
	f.sync = !f.standby && (f.quorum || truthyBool(d["synchronous_mode"]))
	f.quorum = f.quorum && f.sync
	return f
}

func truthyBool(v any) bool {
	b, ok := cluster.ParseBool(v)
	return ok && b
}

func truthyAny(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case bool:
		return x
	case json.Number:
		f, err := x.Float64()
		return err == nil && f != 0
	}
	return true
}

// clusterDoc is Patroni 4.1's cluster_as_json.
func clusterDoc(view *cluster.View, f globalFlags) *obj {
	leader := view.LeaderName()
	members := make([]any, 0, len(view.Members))
	for i := range view.Members {
		members = append(members, memberDoc(&view.Members[i], leader, view, f))
	}
	doc := newObj()
	doc.set("members", members)
	if f.paused {
		doc.set("pause", true)
	}
	if fo := view.Failover; fo != nil && fo.ScheduledAt != nil {
		sw := newObj()
		sw.set("at", cluster.FormatTimestamp(*fo.ScheduledAt))
		if fo.Leader != "" {
			sw.set("from", fo.Leader)
		}
		if fo.Member != "" {
			sw.set("to", fo.Member)
		}
		doc.set("scheduled_switchover", sw)
	}
	return doc
}

func memberDoc(m *cluster.Member, leader string, view *cluster.View, f globalFlags) *obj {
	role := "replica"
	switch {
	case m.Name == leader && f.standby:
		role = "standby_leader"
	case m.Name == leader:
		role = "leader"
	case f.sync && view.Sync.Matches(m.Name, false) && f.quorum:
		role = "quorum_standby"
	case f.sync && view.Sync.Matches(m.Name, false):
		role = "sync_standby"
	}
	state := m.State
	if role != "leader" && m.ReplicationState != "" {
		state = m.ReplicationState
	}
	o := newObj()
	o.set("name", m.Name)
	o.set("role", role)
	o.set("state", state)
	if m.APIURL != "" {
		o.set("api_url", m.APIURL)
	} else {
		o.set("api_url", nil)
	}
	if u, err := url.Parse(m.ConnURL); err == nil && u.Hostname() != "" {
		o.set("host", u.Hostname())
		if p, err := strconv.Atoi(u.Port()); err == nil && p != 0 {
			o.set("port", p)
		}
	}
	if m.Timeline != nil {
		o.set("timeline", *m.Timeline)
	}
	if m.PendingRestart {
		o.set("pending_restart", true)
		if len(m.PendingRestartReason) > 0 {
			o.set("pending_restart_reason", pendingReasonDoc(m.PendingRestartReason))
		}
	}
	if len(m.ScheduledRestart) > 0 {
		o.set("scheduled_restart", m.ScheduledRestart)
	}
	if len(m.Tags) > 0 {
		o.set("tags", m.Tags)
	}
	if m.Name != leader {
		optime := view.Status.Optime
		lagFields(o, "receive_", m.ReceiveLSN, optime)
		lagFields(o, "replay_", m.ReplayLSN, optime)
		lagFields(o, "", m.XLogLocation, optime)
	}
	return o
}

func lagFields(o *obj, prefix string, lsn *int64, optime int64) {
	switch {
	case lsn == nil || *lsn == 0:
		o.set(prefix+"lsn", "unknown")
		o.set(prefix+"lag", "unknown")
	case optime >= *lsn:
		o.set(prefix+"lag", optime-*lsn)
		o.set(prefix+"lsn", formatLSN(*lsn))
	default:
		o.set(prefix+"lag", int64(0))
		o.set(prefix+"lsn", formatLSN(*lsn))
	}
}

func formatLSN(lsn int64) string {
	return fmt.Sprintf("%X/%X", uint64(lsn)>>32, uint64(lsn)&0xFFFFFFFF)
}

func (s *Server) getHistory(w http.ResponseWriter, r *http.Request) {
	view, err := s.cachedOrLoad(r.Context())
	if err != nil {
		s.sendError(w, http.StatusServiceUnavailable, "")
		return
	}
	var lines any = []any{}
	if view.History != nil && len(view.History.Lines) > 0 {
		if raw, err := view.History.Encode(); err == nil {
			if v, err := decodeOrdered(raw); err == nil {
				lines = v
			}
		}
	}
	s.json(w, http.StatusOK, lines)
}

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) {
	view, err := s.cachedOrLoad(r.Context())
	if err != nil || !view.Config.IsValid() {
		s.sendError(w, http.StatusBadGateway, "")
		return
	}
	v, err := decodeOrdered(view.Config.Raw)
	if err != nil {
		v = view.Config.Data
	}
	s.json(w, http.StatusOK, v)
}

func (s *Server) getFailsafe(w http.ResponseWriter, r *http.Request) {
	snap := s.opts.Publisher.Load()
	if snap.View == nil || snap.View.Failsafe == nil {
		s.sendError(w, http.StatusBadGateway, "")
		return
	}
	s.json(w, http.StatusOK, map[string]string(snap.View.Failsafe))
}
