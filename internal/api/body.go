package api

import (
	"io"
	"net/http"
	"strconv"
	"strings"
)

const defaultMaxBody = 1 << 20

// readBody is Patroni's _read_json_content: it needs a Content-Length (411 without
// one unless the body is optional), and a JSON object that is non-empty unless the
// body is optional (400 otherwise). A body over the size limit is refused with 400
// before it is read. On failure the response is written and ok is false.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, optional bool) (*obj, bool) {
	cl, present := r.Header["Content-Length"]
	if !present || len(cl) == 0 {
		if optional {
			return newObj(), true
		}
		s.sendError(w, http.StatusLengthRequired, "")
		return nil, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(cl[0]), 10, 64)
	if err != nil || n < 0 {
		s.sendError(w, http.StatusBadRequest, "")
		return nil, false
	}
	if n == 0 && optional {
		return newObj(), true
	}
	limit := s.cfg.Load().MaxBodyBytes
	if limit <= 0 {
		limit = defaultMaxBody
	}
	if n > limit {
		s.log.Warn("request body too large", "path", r.URL.Path, "length", n, "limit", limit)
		s.sendError(w, http.StatusBadRequest, "")
		return nil, false
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, n))
	if err != nil {
		s.sendError(w, http.StatusBadRequest, "")
		return nil, false
	}
	o, ok := decodeRequest(data, optional)
	if !ok {
		s.log.Warn("bad request body", "path", r.URL.Path)
		s.sendError(w, http.StatusBadRequest, "")
		return nil, false
	}
	return o, true
}

// decodeRequest accepts a JSON object (non-empty unless optional).
func decodeRequest(data []byte, optional bool) (*obj, bool) {
	v, err := decodeOrdered(data)
	if err != nil {
		return nil, false
	}
	o, isObj := v.(*obj)
	if !isObj || (o.len() == 0 && !optional) {
		return nil, false
	}
	return o, true
}
