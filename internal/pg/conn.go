package pg

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgxKeys are the libpq keywords pgx understands; others (gssencmode,
// channel_binding...) would be sent as server parameters and fail.
var pgxKeys = map[string]bool{"host": true, "port": true, "user": true, "password": true,
	"dbname": true, "sslmode": true, "sslkey": true, "sslcert": true, "sslrootcert": true,
	"sslpassword": true, "application_name": true, "target_session_attrs": true,
	"connect_timeout": true, "passfile": true, "replication": true, "options": true}

// Connect opens a pgx connection with libpq-style params.
func Connect(ctx context.Context, p ConnParams) (*pgx.Conn, error) {
	q := ConnParams{"connect_timeout": "3", "application_name": "Patroni"}
	for k, v := range p {
		if pgxKeys[k] {
			q[k] = v
		}
	}
	if q["sslmode"] == "" {
		q["sslmode"] = "prefer"
	}
	cfg, err := pgx.ParseConfig(QuoteDSN(q))
	if err != nil {
		return nil, fmt.Errorf("connection parameters: %w", err)
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// localHost picks how we reach our own server: the first absolute
// unix_socket_directories entry when sockets are requested, else localhost
// when listening there, else the first listen address.
func (s *Server) localHost(unix bool) string {
	host, _, _ := SplitHostPort(s.opts.Listen, 5432)
	tcp := strings.TrimSpace(strings.Split(host, ",")[0])
	for _, la := range strings.Split(host, ",") {
		switch la = strings.TrimSpace(la); strings.ToLower(la) {
		case "*", "localhost", "0.0.0.0", "127.0.0.1":
			tcp = "localhost"
		}
		if tcp == "localhost" {
			break
		}
	}
	if unix {
		if dirs, ok := s.opts.Parameters["unix_socket_directories"]; ok {
			for _, d := range strings.Split(dirs, ",") {
				if d = strings.TrimSpace(d); strings.HasPrefix(d, "/") {
					return d
				}
			}
			return tcp
		}
		return "" // libpq default socket directory
	}
	return tcp
}

func (s *Server) port() string {
	_, port, _ := SplitHostPort(s.opts.Listen, 5432)
	return strconv.Itoa(port)
}

// LocalConnParams are the superuser parameters for our own server.
func (s *Server) LocalConnParams() ConnParams {
	p := ConnParams{"port": s.port(), "dbname": s.opts.database()}
	if h := s.localHost(s.opts.UseUnixSocket); h != "" {
		p["host"] = h
	}
	return p.WithUser(s.opts.Superuser)
}

// LocalReplicationParams are the replication-user parameters for our own
// server (use_unix_socket_repl decides the address).
func (s *Server) LocalReplicationParams() ConnParams {
	p := ConnParams{"port": s.port(), "dbname": s.opts.database()}
	if h := s.localHost(s.opts.UseUnixSocketRepl); h != "" {
		p["host"] = h
	}
	return p.WithUser(s.opts.Replication)
}

// ConnURL is the conn_url this member publishes.
func (s *Server) ConnURL() string {
	addr := s.opts.ConnectAddress
	if addr == "" {
		addr = s.localHost(false) + ":" + s.port()
	}
	return ConnURL(addr, s.opts.database())
}

// withConn runs f on the cached local superuser connection, reconnecting
// once when the connection is broken.
func (s *Server) withConn(ctx context.Context, f func(*pgx.Conn) error) error {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	for attempt := 0; ; attempt++ {
		if s.conn == nil || s.conn.IsClosed() {
			c, err := Connect(ctx, s.LocalConnParams())
			if err != nil {
				return err
			}
			s.conn = c
		}
		err := f(s.conn)
		if err == nil || attempt > 0 || !s.conn.IsClosed() && ctx.Err() == nil && !isConnErr(err) {
			return err
		}
		s.conn.Close(context.Background())
		s.conn = nil
	}
}

func isConnErr(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "broken pipe") ||
		strings.Contains(msg, "connection reset") || strings.Contains(msg, "unexpected EOF")
}

func (s *Server) closeConn() {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s.conn.Close(ctx)
		cancel()
		s.conn = nil
	}
}

// Exec runs a statement on the local server as superuser.
func (s *Server) Exec(ctx context.Context, sql string, args ...any) error {
	return s.withConn(ctx, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, sql, args...)
		return err
	})
}

// QueryRow runs a single-row query on the local server as superuser.
func (s *Server) QueryRow(ctx context.Context, sql string, args []any, dest ...any) error {
	return s.withConn(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, sql, args...).Scan(dest...)
	})
}

// Checkpoint issues CHECKPOINT on the local server.
func (s *Server) Checkpoint(ctx context.Context) error {
	return s.Exec(ctx, "CHECKPOINT")
}

// Close releases the cached connection (the postmaster keeps running).
func (s *Server) Close() { s.closeConn() }
