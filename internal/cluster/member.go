package cluster

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Role is a member's internal role as published in its member key.
type Role string

// Roles Patroni publishes. Patroni 3.x writes RoleMaster for a primary, 4.x RolePrimary.
const (
	RolePrimary       Role = "primary"
	RoleMaster        Role = "master"
	RoleReplica       Role = "replica"
	RoleStandbyLeader Role = "standby_leader"
	RoleDemoted       Role = "demoted"
	RolePromoted      Role = "promoted"
	RoleUninitialized Role = "uninitialized"
)

// IsPrimary reports whether r names a primary in either Patroni generation.
func (r Role) IsPrimary() bool { return r == RolePrimary || r == RoleMaster }

// PendingChange is one entry of pending_restart_reason.
type PendingChange struct {
	OldValue string `json:"old_value"`
	NewValue string `json:"new_value"`
}

// MemberData is the JSON a member writes into members/<name>.
type MemberData struct {
	ConnURL                string
	APIURL                 string
	State                  string
	Role                   Role
	Version                string // Patroni version of the member, e.g. "4.1.4"
	ProxyURL               string
	CheckpointAfterPromote *bool // present (false) only while the post-promote checkpoint is pending
	Tags                   map[string]any
	PendingRestart         bool
	PendingRestartReason   map[string]PendingChange
	XLogLocation           *int64
	ReceiveLSN             *int64
	ReplayLSN              *int64
	ReplicationState       string
	Timeline               *int64
	ScheduledRestart       map[string]any
	Pause                  bool
}

// Member is one members/<name> key as read from the DCS.
type Member struct {
	Name    string
	Version int64  // backend version of the key (mod_revision, ModifyIndex, znode version)
	Session string // lease, session or ephemeral owner holding the key
	MemberData
}

// LSN is the member's reported WAL position, if it reported one.
func (m *Member) LSN() (int64, bool) {
	if m == nil || m.XLogLocation == nil {
		return 0, false
	}
	return *m.XLogLocation, true
}

// IsRunning is Patroni's "state == running".
func (m *Member) IsRunning() bool { return m != nil && m.State == "running" }

// Encode writes the member value with Patroni 4.1's field order.
func (d MemberData) Encode() ([]byte, error) {
	f := []field{
		{"conn_url", d.ConnURL},
		{"api_url", d.APIURL},
		{"state", d.State},
		{"role", string(d.Role)},
		{"version", d.Version},
	}
	if d.ProxyURL != "" {
		f = append(f, field{"proxy_url", d.ProxyURL})
	}
	if d.CheckpointAfterPromote != nil {
		f = append(f, field{"checkpoint_after_promote", *d.CheckpointAfterPromote})
	}
	if len(d.Tags) > 0 {
		f = append(f, field{"tags", d.Tags})
	}
	if d.PendingRestart {
		f = append(f, field{"pending_restart", true})
		if len(d.PendingRestartReason) > 0 {
			f = append(f, field{"pending_restart_reason", d.PendingRestartReason})
		}
	}
	if d.XLogLocation != nil {
		f = append(f, field{"xlog_location", *d.XLogLocation})
	}
	if d.ReplayLSN != nil {
		f = append(f, field{"replay_lsn", *d.ReplayLSN})
	}
	if d.ReceiveLSN != nil {
		f = append(f, field{"receive_lsn", *d.ReceiveLSN})
	}
	if d.ReplicationState != "" {
		f = append(f, field{"replication_state", d.ReplicationState})
	}
	if d.Timeline != nil {
		f = append(f, field{"timeline", *d.Timeline})
	}
	if len(d.ScheduledRestart) > 0 {
		f = append(f, field{"scheduled_restart", d.ScheduledRestart})
	}
	if d.Pause {
		f = append(f, field{"pause", true})
	}
	return marshalObject(f)
}

// ParseMemberData decodes a member value. Like Patroni it never fails: a value it cannot
// understand yields empty data (the member is still listed, with state "unknown") and a
// problem description.
func ParseMemberData(raw []byte) (MemberData, error) {
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, "postgres") {
		return parseGovernorMember(s)
	}
	obj, err := decodeObject(raw)
	if err != nil {
		return MemberData{State: "unknown"}, fmt.Errorf("member value is not a JSON object: %w", err)
	}
	return memberFromObject(obj), nil
}

// parseGovernorMember reads the legacy Governor format
// postgres://user:pass@host:port/db?application_name=<api_url>.
func parseGovernorMember(s string) (MemberData, error) {
	u, err := url.Parse(s)
	if err != nil {
		return MemberData{State: "unknown"}, fmt.Errorf("member value is not a valid URL: %w", err)
	}
	api := u.Query().Get("application_name")
	u.RawQuery = ""
	return MemberData{ConnURL: u.String(), APIURL: api, State: "unknown"}, nil
}

func memberFromObject(obj map[string]any) MemberData {
	d := MemberData{State: "unknown"}
	d.ConnURL, _ = asString(obj["conn_url"])
	if d.ConnURL == "" {
		d.ConnURL = connURLFromKwargs(obj["conn_kwargs"])
	}
	d.APIURL, _ = asString(obj["api_url"])
	if st, ok := asString(obj["state"]); ok && st != "" {
		d.State = st
	}
	if r, ok := asString(obj["role"]); ok {
		d.Role = Role(r)
	}
	d.Version, _ = asString(obj["version"])
	d.ProxyURL, _ = asString(obj["proxy_url"])
	if v, ok := obj["checkpoint_after_promote"].(bool); ok {
		d.CheckpointAfterPromote = &v
	}
	if tags, ok := obj["tags"].(map[string]any); ok && len(tags) > 0 {
		d.Tags = tags
	}
	d.PendingRestart = truthy(obj["pending_restart"])
	d.PendingRestartReason = pendingReasons(obj["pending_restart_reason"])
	d.XLogLocation = optInt(obj["xlog_location"])
	d.ReceiveLSN = optInt(obj["receive_lsn"])
	d.ReplayLSN = optInt(obj["replay_lsn"])
	d.ReplicationState, _ = asString(obj["replication_state"])
	d.Timeline = optInt(obj["timeline"])
	if sr, ok := obj["scheduled_restart"].(map[string]any); ok && len(sr) > 0 {
		d.ScheduledRestart = sr
	}
	d.Pause = truthy(obj["pause"])
	return d
}

func optInt(v any) *int64 {
	if i, ok := asInt(v); ok {
		return &i
	}
	return nil
}

func pendingReasons(v any) map[string]PendingChange {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	out := make(map[string]PendingChange, len(m))
	for k, e := range m {
		em, _ := e.(map[string]any)
		out[k] = PendingChange{OldValue: fmt.Sprint(orEmpty(em["old_value"])), NewValue: fmt.Sprint(orEmpty(em["new_value"]))}
	}
	return out
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// connURLFromKwargs derives conn_url from the conn_kwargs form (Kubernetes/Raft writers).
func connURLFromKwargs(v any) string {
	kw, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	host, _ := asString(kw["host"])
	if host == "" {
		return ""
	}
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	out := "postgresql://" + host
	if p, ok := asInt(kw["port"]); ok {
		out += fmt.Sprintf(":%d", p)
	}
	return out
}

// SortMembers orders members by name, as patronictl and the REST API list them.
func SortMembers(ms []Member) {
	sort.Slice(ms, func(i, j int) bool { return ms[i].Name < ms[j].Name })
}
