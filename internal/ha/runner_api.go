package ha

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/patroni-go/patroni/internal/api"
	"github.com/patroni-go/patroni/internal/cluster"
)

// The Runner is the REST API's Node: management requests reach the loop here.
var _ api.Node = (*Runner)(nil)

// Restart is POST /restart without a schedule: restart now if the conditions hold.
func (r *Runner) Restart(ctx context.Context, req api.RestartRequest) (bool, string, error) {
	if msg := r.restartConditions(req); msg != "" {
		return false, msg, nil
	}
	if r.runningTask() != nil {
		return false, "restart already in progress", nil
	}
	s := r.currentSettings()
	timeout := time.Duration(req.Timeout) * time.Second
	if timeout == 0 {
		timeout = s.PrimaryStartTimeout
	}
	r.mu.Lock()
	v := r.view
	r.mu.Unlock()
	var ok bool
	started := r.startTask("restart", func(tctx context.Context) bool {
		ok = r.restartPG(tctx, v, s, timeout)
		return ok
	})
	if !started {
		return false, "restart already in progress", nil
	}
	t := r.runningTask()
	if t != nil {
		select {
		case <-t.done:
		case <-ctx.Done():
			return false, "restart failed", nil
		}
	}
	if !ok {
		return false, "restart failed", nil
	}
	return true, "restarted successfully", nil
}

// restartConditions checks role, postgres_version and restart_pending; "" when met.
func (r *Runner) restartConditions(req api.RestartRequest) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.Role != "" && req.Role != "any" && !roleMatches(r.role, req.Role) {
		return "restart conditions are not satisfied"
	}
	if req.PostgresVersion != "" {
		want, err := versionNum(req.PostgresVersion)
		if err != nil || r.d.PG.VersionNum() >= want {
			return "restart conditions are not satisfied"
		}
	}
	if req.RestartPending && !(r.pgObsOK && len(r.pgObs.PendingRestart) > 0) {
		return "restart conditions are not satisfied"
	}
	return ""
}

func roleMatches(role cluster.Role, want string) bool {
	switch want {
	case "primary", "master":
		return role.IsPrimary() || role == cluster.RolePromoted
	default:
		return string(role) == want
	}
}

// versionNum turns "15.4" / "9.6.3" into server_version_num form.
func versionNum(v string) (int, error) {
	parts := strings.Split(strings.TrimSpace(v), ".")
	nums := make([]int, 3)
	for i := 0; i < len(parts) && i < 3; i++ {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return 0, err
		}
		nums[i] = n
	}
	if nums[0] >= 10 {
		return nums[0]*10000 + nums[1], nil
	}
	return nums[0]*10000 + nums[1]*100 + nums[2], nil
}

// ScheduleRestart stores a scheduled restart; false if one is already scheduled.
func (r *Runner) ScheduleRestart(req api.RestartRequest) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.restart != nil || req.Schedule == nil {
		return false
	}
	sr := &ScheduledRestart{At: *req.Schedule, Role: cluster.Role(req.Role), RestartPending: req.RestartPending,
		PostmasterStartTime: r.pgObs.PostmasterStart.String(), Timeout: time.Duration(req.Timeout) * time.Second}
	if req.PostgresVersion != "" {
		sr.PostgresVersion, _ = versionNum(req.PostgresVersion)
	}
	r.restart, r.restartReq = sr, &req
	return true
}

// CancelScheduledRestart drops the scheduled restart.
func (r *Runner) CancelScheduledRestart() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	had := r.restart != nil
	r.restart, r.restartReq = nil, nil
	return had
}

// Reload is what SIGHUP does.
func (r *Runner) Reload() { r.RequestReload() }

// Reinitialize starts a reinit of this replica from the leader.
func (r *Runner) Reinitialize(force, fromLeader bool) string {
	r.mu.Lock()
	v, s, leader := r.view, r.settings, r.isLeaderLocked()
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), s.RetryTimeout)
	if fresh, err := r.load(ctx); err == nil {
		v = fresh // as Patroni, decide on a fresh read, not the view of the last cycle
	}
	cancel()
	if leader || (v != nil && v.HasLock(r.d.Name)) {
		return "I am the leader, can not reinitialize"
	}
	if v == nil || v.IsUnlocked() {
		return "Cluster has no leader, can not reinitialize"
	}
	if t := r.runningTask(); t != nil {
		if !force {
			return t.name + " already in progress"
		}
		r.cancelTask(30 * time.Second)
	}
	from := v.LeaderName()
	if !fromLeader {
		if m := firstCloneFrom(v, r.d.Name); m != "" {
			from = m
		}
	}
	if !r.startTask("reinitialize", func(ctx context.Context) bool { return r.reinitialize(ctx, v, s, from) }) {
		return "reinitialize already in progress"
	}
	return ""
}

func firstCloneFrom(v *cluster.View, me string) string {
	for _, m := range v.Members {
		if m.Name != me && m.Name != v.LeaderName() && m.IsRunning() && m.ConnURL != "" && cluster.Tags(m.Tags).CloneFrom() {
			return m.Name
		}
	}
	return ""
}

// refreshEvery bounds how often API requests re-read PostgreSQL.
const refreshEvery = 200 * time.Millisecond

// Refresh re-reads PostgreSQL for the REST API (GET /patroni, /metrics) and publishes a
// fresh snapshot, at most every refreshEvery.
func (r *Runner) Refresh(ctx context.Context) {
	r.mu.Lock()
	recent := time.Since(r.obsTime) < refreshEvery
	r.mu.Unlock()
	if recent || !r.d.PG.IsRunning() {
		return
	}
	r.refreshObservation(ctx)
	r.publish()
}

// Shutdown is POST /sigterm: a no-op, as in Patroni outside its test suite.
func (r *Runner) Shutdown() {}

// ReceiveFailsafe records the leader's heartbeat while the DCS is unreachable.
func (r *Runner) ReceiveFailsafe(req api.FailsafeRequest) (int64, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pgObsOK && !r.pgObs.InRecovery && r.d.PG.IsRunning() {
		return 0, false, errors.New("Running as a leader")
	}
	r.failsafe = &FailsafeSender{Name: req.Name, ConnURL: req.ConnURL, APIURL: req.APIURL, At: time.Now()}
	r.failSlots = req.Slots
	if r.pgObsOK {
		return int64(r.pgObs.WALPosition), true, nil
	}
	return 0, false, nil
}
