package ctl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/patroni-go/patroni/internal/cluster"
)

type queryArgs struct {
	cluster   string
	group     *int
	format    string
	file      string
	command   *string
	password  bool
	username  string
	dbname    string
	role      string
	member    string
	delimiter string
	w         bool
	watch     float64
}

func (s *session) runQuery(a queryArgs) error {
	var sql string
	switch {
	case a.file != "":
		if a.command != nil {
			return errorf("--file and --command are mutually exclusive options")
		}
		raw, err := readFileArg(s, a.file)
		if err != nil {
			return err
		}
		sql = raw
	case a.command == nil:
		return errorf("You need to specify either --command or --file")
	default:
		sql = *a.command
	}
	params := map[string]string{}
	if a.username != "" {
		params["user"] = a.username
	}
	if a.password {
		pw, err := s.prompt("Password", "", false)
		if err != nil {
			return err
		}
		params["password"] = pw
	}
	if a.dbname != "" {
		params["dbname"] = a.dbname
	}
	var v *cluster.View
	var conn Querier
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	return s.watching(a.w, a.watch, false, func() error {
		if v == nil {
			var err error
			if v, _, err = s.load(a.cluster, a.group); err != nil {
				return err
			}
		}
		var header []string
		var rows [][]cell
		var err error
		conn, header, rows, err = s.queryMember(v, conn, a, sql, params)
		if err != nil {
			return err
		}
		s.printQuery(header, rows, a.format, a.delimiter)
		return nil
	})
}

func readFileArg(s *session, file string) (string, error) {
	if file == "-" {
		var b strings.Builder
		for {
			line, err := s.in.r.ReadString('\n')
			b.WriteString(line)
			if err != nil {
				break
			}
		}
		return b.String(), nil
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return "", &UsageError{Msg: fmt.Sprintf("Invalid value for '--file' / '-f': '%s': %v", file, err)}
	}
	return string(raw), nil
}

func (s *session) printQuery(header []string, rows [][]cell, format, delimiter string) {
	if format == "tsv" {
		if header != nil {
			s.echo("%s", strings.Join(header, delimiter))
		}
		for _, r := range rows {
			s.echo("%s", joinCells(r, delimiter))
		}
		return
	}
	if header == nil && len(rows) > 0 && format != "json" && format != "yaml" && format != "yml" {
		for i := range rows[0] {
			header = append(header, fmt.Sprintf("Field %d", i+1))
		}
	}
	s.printOutput(header, rows, nil, format, "")
}

// queryMember is query_member: connect (once) to the chosen member and run
// the SQL; failures become a row "<timestamp> <message>".
func (s *session) queryMember(v *cluster.View, conn Querier, a queryArgs, sql string,
	params map[string]string) (Querier, []string, [][]cell, error) {
	if conn == nil {
		var err error
		conn, err = s.connectMember(v, a, params)
		if err != nil {
			if ctlErr := (*Error)(nil); errors.As(err, &ctlErr) {
				return nil, nil, nil, err
			}
			return nil, nil, s.errorRow(err), nil
		}
		if conn == nil {
			msg := "No connection is available"
			switch {
			case a.member != "":
				msg = fmt.Sprintf("No connection to member %s is available", a.member)
			case a.role != "":
				msg = fmt.Sprintf("No connection to role %s is available", a.role)
			}
			return nil, nil, [][]cell{{textCell(s.timestamp(0)), textCell(msg)}}, nil
		}
	}
	rows, err := conn.Query(s.ctx, sql)
	if err != nil {
		conn.Close(s.ctx)
		return nil, nil, s.errorRow(err), nil
	}
	defer rows.Close()
	var header []string
	for _, f := range rows.FieldDescriptions() {
		header = append(header, f.Name)
	}
	var out [][]cell
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			conn.Close(s.ctx)
			return nil, nil, s.errorRow(err), nil
		}
		r := make([]cell, len(vals))
		for i, x := range vals {
			r[i] = cell{text: pyStr(x), value: x}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		conn.Close(s.ctx)
		return nil, nil, s.errorRow(err), nil
	}
	if len(header) == 0 {
		header = nil
	}
	return conn, header, out, nil
}

func (s *session) errorRow(err error) [][]cell {
	msg := err.Error()
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code != "" {
		msg = pe.Code
	}
	msg = strings.ReplaceAll(msg, "\n", " ")
	return [][]cell{{textCell(s.timestamp(0)), textCell("ERROR, SQLSTATE: " + msg)}}
}

// connectMember is get_cursor: pick the member, connect with the superuser
// credentials of the configuration (or -U/--password/-d), and for roles other
// than leader/any check pg_is_in_recovery() agrees.
func (s *session) connectMember(v *cluster.View, a queryArgs, params map[string]string) (Querier, error) {
	m, err := anyMember(v, a.role, a.member)
	if err != nil || m == nil {
		return nil, err
	}
	host, port := connHostPort(m.ConnURL)
	kw := map[string]string{"host": host, "port": fmt.Sprint(port)}
	if su := s.cfg.Postgresql.Authentication.Superuser; su != nil && (su.Username != "" || su.Password != "") {
		if su.Username != "" {
			kw["user"] = su.Username
		}
		if su.Password != "" {
			kw["password"] = su.Password
		}
	}
	for k, val := range params {
		kw[k] = val
	}
	kw["fallback_application_name"] = "Patroni ctl"
	kw["connect_timeout"] = "5"
	conn, err := s.env.Connect(s.ctx, keywordDSN(kw))
	if err != nil {
		return nil, err
	}
	if a.role == "" || a.role == "any" || a.role == "leader" {
		return conn, nil
	}
	inRecovery := true
	if rows, err := conn.Query(s.ctx, "SELECT pg_catalog.pg_is_in_recovery()"); err == nil {
		if rows.Next() {
			var b bool
			if rows.Scan(&b) == nil {
				inRecovery = b
			}
		}
		rows.Close()
	}
	switch {
	case inRecovery && (a.role == "replica" || a.role == "standby" || a.role == "standby-leader"),
		!inRecovery && a.role == "primary":
		return conn, nil
	}
	conn.Close(s.ctx)
	return nil, nil
}

// keywordDSN builds a libpq keyword/value string with quoted values.
func keywordDSN(kw map[string]string) string {
	keys := make([]string, 0, len(kw))
	for k := range kw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(kw[k])
		parts = append(parts, fmt.Sprintf("%s='%s'", k, v))
	}
	return strings.Join(parts, " ")
}

// PgxConnect is the default Env.Connect.
func PgxConnect(ctx context.Context, dsn string) (Querier, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	// patronictl sends the SQL as one simple query, which may hold several
	// statements.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	// pgx does not know libpq's fallback_application_name and would send it to the
	// server as a setting, which PostgreSQL rejects (42704): apply libpq's meaning.
	if fb, ok := cfg.RuntimeParams["fallback_application_name"]; ok {
		delete(cfg.RuntimeParams, "fallback_application_name")
		if _, set := cfg.RuntimeParams["application_name"]; !set {
			cfg.RuntimeParams["application_name"] = fb
		}
	}
	return pgx.ConnectConfig(ctx, cfg)
}
