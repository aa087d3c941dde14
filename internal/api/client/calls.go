package client

import (
	"context"
	"net/http"
	"strconv"
)

// SwitchoverRequest is the body of POST /switchover and /failover as patronictl sends
// it. Candidate "" is sent as null; Leader and ScheduledAt are omitted when empty.
// ScheduledAt is an ISO-8601 timestamp with zone (cluster.FormatTimestamp).
type SwitchoverRequest struct {
	Leader      string
	Candidate   string
	ScheduledAt string
}

// MarshalJSON writes {"candidate": c|null, "leader"?: l, "scheduled_at"?: t}.
func (r SwitchoverRequest) MarshalJSON() ([]byte, error) {
	m := map[string]any{"candidate": nil}
	if r.Candidate != "" {
		m["candidate"] = r.Candidate
	}
	if r.Leader != "" {
		m["leader"] = r.Leader
	}
	if r.ScheduledAt != "" {
		m["scheduled_at"] = r.ScheduledAt
	}
	return marshalMap(m)
}

// RestartRequest is the body of POST /restart; empty fields are omitted (an empty
// request restarts unconditionally and at once).
type RestartRequest struct {
	Schedule        string // ISO-8601 with zone
	Role            string // primary, standby_leader or replica
	PostgresVersion string // restart only if the running version is lower
	Timeout         string // e.g. "60" or "2min"
	RestartPending  bool   // restart only if a restart is pending
}

// MarshalJSON writes only the conditions that are set.
func (r RestartRequest) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	if r.RestartPending {
		m["restart_pending"] = true
	}
	if r.Role != "" {
		m["role"] = r.Role
	}
	if r.PostgresVersion != "" {
		m["postgres_version"] = r.PostgresVersion
	}
	if r.Schedule != "" {
		m["schedule"] = r.Schedule
	}
	if r.Timeout != "" {
		m["timeout"] = r.Timeout
	}
	return marshalMap(m)
}

// FailsafeRequest is the body a primary that lost the DCS posts to every member.
type FailsafeRequest struct {
	Name    string           `json:"name"`
	ConnURL string           `json:"conn_url"`
	APIURL  string           `json:"api_url"`
	Slots   map[string]int64 `json:"slots,omitempty"`
}

// FailsafeResult is a member's answer to POST /failsafe.
type FailsafeResult struct {
	Accepted bool  // status 200 and body exactly "Accepted"
	LSN      int64 // the member's WAL position from the "lsn" header
	HasLSN   bool
	Response *Response
}

// PostFailsafe sends POST /failsafe. Patroni gives a peer 2 s and one retry: pass a
// context with that deadline and call again on error if you want the retry.
func (c *Client) PostFailsafe(ctx context.Context, apiURL string, req FailsafeRequest) (FailsafeResult, error) {
	resp, err := c.Do(ctx, http.MethodPost, apiURL, "failsafe", req)
	if err != nil {
		return FailsafeResult{}, err
	}
	res := FailsafeResult{Response: resp, Accepted: resp.StatusCode == http.StatusOK && string(resp.Body) == "Accepted"}
	if v := resp.Header.Get("lsn"); v != "" {
		if n, perr := strconv.ParseInt(v, 10, 64); perr == nil {
			res.LSN, res.HasLSN = n, true
		}
	}
	return res, nil
}

// Switchover sends POST /switchover.
func (c *Client) Switchover(ctx context.Context, apiURL string, req SwitchoverRequest) (*Response, error) {
	return c.Do(ctx, http.MethodPost, apiURL, "switchover", req)
}

// Failover sends POST /failover.
func (c *Client) Failover(ctx context.Context, apiURL string, req SwitchoverRequest) (*Response, error) {
	return c.Do(ctx, http.MethodPost, apiURL, "failover", req)
}

// CancelSwitchover sends DELETE /switchover (200 deleted, 404 none scheduled).
func (c *Client) CancelSwitchover(ctx context.Context, apiURL string) (*Response, error) {
	return c.Do(ctx, http.MethodDelete, apiURL, "switchover", nil)
}

// Restart sends POST /restart. An immediate restart blocks until PostgreSQL is up.
func (c *Client) Restart(ctx context.Context, apiURL string, req RestartRequest) (*Response, error) {
	return c.Do(ctx, http.MethodPost, apiURL, "restart", req)
}

// CancelRestart sends DELETE /restart (200 deleted, 404 none scheduled).
func (c *Client) CancelRestart(ctx context.Context, apiURL string) (*Response, error) {
	return c.Do(ctx, http.MethodDelete, apiURL, "restart", nil)
}

// Reload sends POST /reload (202 "reload scheduled").
func (c *Client) Reload(ctx context.Context, apiURL string) (*Response, error) {
	return c.Do(ctx, http.MethodPost, apiURL, "reload", nil)
}

// Reinitialize sends POST /reinitialize with {"force": bool} (and "from_leader": true
// when asked, Patroni 4.x).
func (c *Client) Reinitialize(ctx context.Context, apiURL string, force, fromLeader bool) (*Response, error) {
	body := map[string]any{"force": force}
	if fromLeader {
		body["from_leader"] = true
	}
	return c.Do(ctx, http.MethodPost, apiURL, "reinitialize", body)
}

// PatchConfig sends PATCH /config; a nil value in patch removes that key.
func (c *Client) PatchConfig(ctx context.Context, apiURL string, patch map[string]any) (*Response, error) {
	return c.Do(ctx, http.MethodPatch, apiURL, "config", patch)
}

// PutConfig sends PUT /config, replacing the whole dynamic configuration.
func (c *Client) PutConfig(ctx context.Context, apiURL string, cfg map[string]any) (*Response, error) {
	return c.Do(ctx, http.MethodPut, apiURL, "config", cfg)
}

// Get sends GET /endpoint ("" = the api_url itself, i.e. /patroni): /cluster,
// /history, /config, /failsafe, /liveness, health checks.
func (c *Client) Get(ctx context.Context, apiURL, endpoint string) (*Response, error) {
	return c.Do(ctx, http.MethodGet, apiURL, endpoint, nil)
}
