package api

import (
	"context"
	"net/http"
	"time"
)

// patchObject deep-merges patch into cfg: null removes a key, objects merge
// recursively, other values replace when their Python str() differs. It reports
// whether anything changed.
func patchObject(cfg, patch *obj) bool {
	changed := false
	for _, k := range patch.keys {
		v := patch.vals[k]
		cur, exists := cfg.get(k)
		switch {
		case v == nil:
			if exists {
				cfg.del(k)
				changed = changed || cur != nil
			}
		case !exists:
			cfg.set(k, v)
			changed = true
		default:
			if po, ok := v.(*obj); ok {
				if co, ok := cur.(*obj); ok {
					changed = patchObject(co, po) || changed
				} else {
					cfg.set(k, v)
					changed = true
				}
			} else if pyStr(cur) != pyStr(v) {
				cfg.set(k, v)
				changed = true
			}
		}
	}
	return changed
}

// deepEqualConfig is Patroni's deep_compare: same keys, nested objects equal,
// other values equal by str().
func deepEqualConfig(a, b *obj) bool {
	if a.len() != b.len() {
		return false
	}
	for _, k := range a.keys {
		bv, ok := b.get(k)
		if !ok {
			return false
		}
		av := a.vals[k]
		if ao, ok := av.(*obj); ok {
			bo, ok := bv.(*obj)
			if !ok || !deepEqualConfig(ao, bo) {
				return false
			}
		} else if pyStr(av) != pyStr(bv) {
			return false
		}
	}
	return true
}

func (s *Server) storeCtx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, 10*time.Second)
}

func (s *Server) patchConfig(w http.ResponseWriter, r *http.Request) {
	patch, ok := s.readBody(w, r, false)
	if !ok {
		return
	}
	if s.opts.Store == nil {
		s.sendError(w, http.StatusServiceUnavailable, "")
		return
	}
	ctx, cancel := s.storeCtx(r.Context())
	defer cancel()
	view, err := s.opts.Store.Load(ctx)
	if err != nil || !view.Config.IsValid() {
		s.sendError(w, http.StatusServiceUnavailable, "")
		return
	}
	data := newObj()
	if v, err := decodeOrdered(view.Config.Raw); err == nil {
		if o, ok := v.(*obj); ok {
			data = o
		}
	}
	if patchObject(data, patch) {
		ok, err := s.opts.Store.SetConfig(ctx, pyDumpsCompact(data), view.Config.Version)
		if err != nil || !ok {
			s.sendError(w, http.StatusConflict, "")
			return
		}
	}
	s.wake()
	s.json(w, http.StatusOK, data)
}

func (s *Server) putConfig(w http.ResponseWriter, r *http.Request) {
	cfg, ok := s.readBody(w, r, false)
	if !ok {
		return
	}
	if s.opts.Store == nil {
		s.sendError(w, http.StatusBadGateway, "")
		return
	}
	ctx, cancel := s.storeCtx(r.Context())
	defer cancel()
	view, err := s.opts.Store.Load(ctx)
	if err != nil {
		s.sendError(w, http.StatusBadGateway, "")
		return
	}
	same := false
	if view.Config != nil {
		if v, err := decodeOrdered(view.Config.Raw); err == nil {
			if cur, ok := v.(*obj); ok {
				same = deepEqualConfig(cfg, cur)
			}
		}
	}
	if !same {
		ok, err := s.opts.Store.SetConfig(ctx, pyDumpsCompact(cfg), noVersion)
		if err != nil || !ok {
			s.sendError(w, http.StatusBadGateway, "")
			return
		}
	}
	s.json(w, http.StatusOK, cfg)
}

func (s *Server) wake() {
	if s.opts.Node != nil {
		s.opts.Node.Wake()
	}
}
