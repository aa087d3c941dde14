package api

import (
	"context"
	"net/http"
	"time"
)

// routes maps "<METHOD> /<first path component>" to handlers, as Patroni does
// (GET /patroni/anything is GET /patroni). Unrouted GETs are health checks, HEAD and
// OPTIONS always are (status line only), other methods get 501.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(method, name string, h http.HandlerFunc) {
		mux.HandleFunc(method+" /"+name, h)
		mux.HandleFunc(method+" /"+name+"/", h)
	}
	handle("GET", "patroni", s.getPatroni)
	handle("GET", "cluster", s.getCluster)
	handle("GET", "history", s.getHistory)
	handle("GET", "config", s.getConfig)
	handle("GET", "metrics", s.getMetrics)
	handle("GET", "failsafe", s.getFailsafe)
	handle("GET", "liveness", s.getLiveness)
	handle("GET", "readiness", s.getReadiness)
	mux.HandleFunc("GET /", s.getHealth)

	handle("PATCH", "config", s.unsafe(s.patchConfig))
	handle("PUT", "config", s.unsafe(s.putConfig))
	handle("POST", "reload", s.unsafe(s.postReload))
	handle("POST", "restart", s.unsafe(s.postRestart))
	handle("DELETE", "restart", s.unsafe(s.deleteRestart))
	handle("POST", "reinitialize", s.unsafe(s.postReinitialize))
	handle("POST", "failover", s.unsafe(s.postFailover))
	handle("POST", "switchover", s.unsafe(s.postSwitchover))
	handle("DELETE", "switchover", s.unsafe(s.deleteSwitchover))
	handle("POST", "sigterm", s.unsafe(s.postSigterm))
	handle("POST", "citus", s.unsafe(s.postMPP))
	handle("POST", "mpp", s.postMPP)
	// POST /failsafe is exempt from the member part of the allowlist (Patroni 4.x).
	handle("POST", "failsafe", s.guard(false, s.postFailsafe))
	mux.HandleFunc("/", s.notImplemented)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead || r.Method == http.MethodOptions {
			snap := s.opts.Publisher.Load()
			statusOnly(w, healthStatus(snap, s.opts.Now(), r.URL.Path, r.URL.Query()))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (s *Server) unsafe(h http.HandlerFunc) http.HandlerFunc { return s.guard(true, h) }

func (s *Server) guard(includeMembers bool, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.checkAccess(w, r, includeMembers) {
			h(w, r)
		}
	}
}

func (s *Server) notImplemented(w http.ResponseWriter, r *http.Request) {
	s.sendError(w, http.StatusNotImplemented, "Unsupported method ('"+r.Method+"')")
}

func (s *Server) getHealth(w http.ResponseWriter, r *http.Request) {
	snap := s.opts.Publisher.Load()
	now := s.opts.Now()
	code := healthStatus(snap, now, r.URL.Path, r.URL.Query())
	s.write(w, code, "application/json", s.statusBody(snap, now))
}

// Refresher is an optional part of Node: it re-reads PostgreSQL and publishes a fresh
// snapshot. GET /patroni and /metrics use it, because peers compare WAL positions in the
// leader race and must not see a position up to loop_wait old; the health checks keep
// answering from the snapshot alone.
type Refresher interface {
	Refresh(ctx context.Context)
}

// refresh asks the Node for a fresh snapshot when it can give one.
func (s *Server) refresh(r *http.Request) {
	if f, ok := s.opts.Node.(Refresher); ok {
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		f.Refresh(ctx)
	}
}

func (s *Server) getPatroni(w http.ResponseWriter, r *http.Request) {
	s.refresh(r)
	snap := s.opts.Publisher.Load()
	s.write(w, http.StatusOK, "application/json", s.statusBody(snap, s.opts.Now()))
}

// cachedDoc is the encoded status document of one snapshot. The document depends on
// the clock only through the freshness of the cached view, so that is part of the key.
type cachedDoc struct {
	snap  *Snapshot
	fresh bool
	body  []byte
}

// statusBody renders the status document once per snapshot (health checks are the
// hot path: HAProxy and Kubernetes ask every few seconds from many places).
func (s *Server) statusBody(snap *Snapshot, now time.Time) []byte {
	fresh := snap.FreshView(now) != nil
	if c := s.doc.Load(); c != nil && c.snap == snap && c.fresh == fresh {
		return c.body
	}
	body := pyDumps(statusDoc(snap, now))
	s.doc.Store(&cachedDoc{snap: snap, fresh: fresh, body: body})
	return body
}

func (s *Server) getLiveness(w http.ResponseWriter, r *http.Request) {
	statusOnly(w, livenessStatus(s.opts.Publisher.Load(), s.opts.Now()))
}

func (s *Server) getReadiness(w http.ResponseWriter, r *http.Request) {
	statusOnly(w, readinessStatus(s.opts.Publisher.Load(), s.opts.Now(), r.URL.Query()))
}
