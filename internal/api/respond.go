package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

func (s *Server) commonHeaders(h http.Header, contentType string) {
	rc := s.cfg.Load()
	if rc.serverName != "" {
		h.Set("Server", rc.serverName)
	}
	h.Set("Content-Type", contentType)
	for _, kv := range rc.headers {
		h.Set(kv[0], kv[1])
	}
}

// text is Patroni's write_response: a plain message served as text/html (sic).
func (s *Server) text(w http.ResponseWriter, code int, msg string) {
	s.write(w, code, "text/html", []byte(msg))
}

func (s *Server) json(w http.ResponseWriter, code int, v any) {
	s.write(w, code, "application/json", pyDumps(v))
}

func (s *Server) write(w http.ResponseWriter, code int, contentType string, body []byte) {
	s.commonHeaders(w.Header(), contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// errorPage is Python's BaseHTTPRequestHandler.send_error page.
const errorPage = `<!DOCTYPE HTML>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <title>Error response</title>
    </head>
    <body>
        <h1>Error response</h1>
        <p>Error code: %d</p>
        <p>Message: %s.</p>
        <p>Error code explanation: %d - %s.</p>
    </body>
</html>
`

var errorTexts = map[int][2]string{
	400: {"Bad Request", "Bad request syntax or unsupported method"},
	409: {"Conflict", "Request conflict"},
	411: {"Length Required", "Client must specify Content-Length"},
	501: {"Not Implemented", "Server does not support this operation"},
	502: {"Bad Gateway", "Invalid responses from another server/proxy"},
	503: {"Service Unavailable", "The server cannot process the request due to a high load"},
}

// sendError writes the generic HTML error page; message "" uses the standard one.
func (s *Server) sendError(w http.ResponseWriter, code int, message string) {
	t := errorTexts[code]
	if message == "" {
		message = t[0]
	}
	body := fmt.Sprintf(errorPage, code, escapeHTML(message), code, escapeHTML(t[1]))
	h := w.Header()
	rc := s.cfg.Load()
	if rc.serverName != "" {
		h.Set("Server", rc.serverName)
	}
	h.Set("Connection", "close")
	h.Set("Content-Type", "text/html;charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}

// statusOnly writes "HTTP/1.0 <code> <reason>\r\n\r\n" and closes the connection, as
// Patroni answers HEAD, OPTIONS, /liveness and /readiness. Where the connection cannot
// be taken over (HTTP/2, tests) it falls back to a header-only response.
func statusOnly(w http.ResponseWriter, code int) {
	line := "HTTP/1.0 " + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n\r\n"
	if hj, ok := w.(http.Hijacker); ok {
		if conn, buf, err := hj.Hijack(); err == nil {
			_, _ = buf.WriteString(line)
			_ = buf.Flush()
			_ = conn.Close()
			return
		}
	}
	w.Header().Set("Connection", "close")
	w.WriteHeader(code)
}

// escapeHTML is Python's html.escape(s, quote=False).
var escapeHTML = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace
