package ctl

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/patroni-go/patroni/internal/cluster"
)

func secondsDuration(sec float64) time.Duration { return time.Duration(sec * float64(time.Second)) }

type listArgs struct {
	names     []string
	group     *int
	extended  bool
	timestamp bool
	format    string
	w         bool
	watch     float64
}

func (s *session) runList(a listArgs) error {
	names := a.names
	if len(names) == 0 {
		if s.cfg.Scope == "" {
			s.warn("Listing members: No cluster names were provided")
			return nil
		}
		names = []string{s.cfg.Scope}
	}
	return s.watching(a.w, a.watch, true, func() error {
		if a.timestamp {
			s.echo("%s", s.timestamp(0))
		}
		for _, name := range names {
			v, _, err := s.load(name, a.group)
			if err != nil {
				return err
			}
			s.outputMembers(v, name, listOptions{extended: a.extended, format: a.format, group: a.group})
		}
		return nil
	})
}

func (s *session) runHistory(name string, group *int, format string) error {
	v, _, err := s.load(name, s.defaultGroup(group))
	if err != nil {
		return err
	}
	cols := []string{"TL", "LSN", "Reason", "Timestamp", "New Leader"}
	s.printOutput(cols, historyRows(v.History), map[string]byte{"TL": 'r', "LSN": 'r'}, format, "")
	return nil
}

func (s *session) runShowConfig(name string, group *int) error {
	v, _, err := s.load(name, s.defaultGroup(group))
	if err != nil {
		return err
	}
	if v.Config != nil {
		s.echo("%s", dumpYAML(v.Config.Data, false))
	}
	return nil
}

func (s *session) runDSN(name string, group *int, role, member string) error {
	v, _, err := s.load(name, group)
	if err != nil {
		return err
	}
	m, err := anyMember(v, role, member)
	if err != nil {
		return err
	}
	if m == nil {
		return errorf("Can not find a suitable member")
	}
	host, port := connHostPort(m.ConnURL)
	if host == "" {
		return errorf("Member %s has no valid conn_url", m.Name)
	}
	s.echo("host=%s port=%d", host, port)
	return nil
}

func (s *session) runVersion(args []string, group *int) error {
	s.echo("patronictl version %s", Version)
	if len(args) == 0 {
		return nil
	}
	s.echo("")
	v, _, err := s.load(args[0], group)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, n := range args[1:] {
		want[n] = true
	}
	for _, m := range membersByRole(v, "any") {
		if m.APIURL == "" || (len(want) > 0 && !want[m.Name]) {
			continue
		}
		if line, err := s.memberVersion(m); err != nil {
			s.echo("%s: failed to get version: %v", m.Name, err)
		} else {
			s.echo("%s: %s", m.Name, line)
		}
	}
	return nil
}

func (s *session) memberVersion(m *cluster.Member) (string, error) {
	api, err := s.memberAPI()
	if err != nil {
		return "", err
	}
	resp, err := api.Get(s.ctx, m.APIURL, "")
	if err != nil {
		return "", err
	}
	var doc struct {
		Patroni struct {
			Version any `json:"version"`
		} `json:"patroni"`
		ServerVersion json.Number `json:"server_version"`
	}
	if err := json.Unmarshal(resp.Body, &doc); err != nil {
		return "", err
	}
	line := fmt.Sprintf("Patroni %s", pyStr(doc.Patroni.Version))
	if n, err := doc.ServerVersion.Int64(); err == nil && n != 0 {
		line += " PostgreSQL " + formatPGVersion(n)
	}
	return line, nil
}

func formatPGVersion(v int64) string {
	if v < 100000 {
		return fmt.Sprintf("%d.%d.%d", v/10000, v/100%100, v%100)
	}
	return fmt.Sprintf("%d.%d", v/10000, v%100)
}

// pyStr is str() of a decoded JSON value (None for null).
func pyStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	}
	return fmt.Sprint(v)
}

func (s *session) runRemove(name string, group *int, format string) error {
	v, st, err := s.load(name, group)
	if err != nil {
		return err
	}
	if s.cfg.Citus != nil && group == nil {
		return errorf("For Citus clusters the --group must me specified")
	}
	s.outputMembers(v, name, listOptions{format: format, group: group})
	answer, err := s.prompt("Please confirm the cluster name to remove", "", false)
	if err != nil {
		return err
	}
	if answer != name {
		return errorf("Cluster names specified do not match")
	}
	const aware = "Yes I am aware"
	answer, err = s.prompt(fmt.Sprintf("You are about to remove all information in DCS for %s, please type: %q", name, aware), "", false)
	if err != nil {
		return err
	}
	if answer != aware {
		return errorf("You did not exactly type %q", aware)
	}
	if !v.IsUnlocked() {
		answer, err = s.prompt("This cluster currently is healthy. Please specify the leader name to continue", "", false)
		if err != nil {
			return err
		}
		if answer != v.Leader.Name {
			return errorf("You did not specify the current leader of the cluster")
		}
	}
	if err := st.DeleteCluster(s.ctx); err != nil {
		return dcsError(err)
	}
	return nil
}
