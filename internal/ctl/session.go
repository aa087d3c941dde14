package ctl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/config"
	"github.com/patroni-go/patroni/internal/dcs"
)

const (
	levelDebug = iota
	levelInfo
	levelWarning
	levelError
)

// session is one patronictl invocation: the loaded configuration and the
// connections it opened.
type session struct {
	ctx      context.Context
	env      *Env
	in       *lineReader
	cfg      *config.Config
	insecure bool
	logLevel int
	stores   map[string]dcs.Store
	api      MemberAPI
}

func newSession(ctx context.Context, env *Env) *session {
	s := &session{ctx: ctx, env: env, in: &lineReader{r: bufio.NewReader(env.Stdin)}, stores: map[string]dcs.Store{}}
	s.logLevel = levelWarning
	for _, k := range []string{"LOGLEVEL", "PATRONI_LOGLEVEL", "PATRONI_LOG_LEVEL"} {
		if v := lookupEnv(env.Environ, k); v != "" {
			s.logLevel = parseLevel(v)
		}
	}
	return s
}

func parseLevel(v string) int {
	switch strings.ToUpper(v) {
	case "DEBUG":
		return levelDebug
	case "INFO":
		return levelInfo
	case "ERROR", "CRITICAL":
		return levelError
	}
	return levelWarning
}

func (s *session) close() {
	for _, st := range s.stores {
		st.Close()
	}
}

// scope returns the cluster name argument, else the configured scope.
func (s *session) scope(args []string) (string, error) {
	if len(args) > 0 && args[0] != "" {
		return args[0], nil
	}
	if s.cfg.Scope != "" {
		return s.cfg.Scope, nil
	}
	return "", errorf("Cluster name is not given and the configuration has no scope")
}

// defaultGroup is the Citus group from the configuration, for the commands
// that default --group to it.
func (s *session) defaultGroup(group *int) *int {
	if group == nil && s.cfg.Citus != nil {
		g := s.cfg.Citus.Group
		return &g
	}
	return group
}

func (s *session) citusEnabled(group *int) bool { return s.cfg.Citus != nil || group != nil }

func storeKey(scope string, group *int) string {
	if group == nil {
		return scope
	}
	return scope + "/" + strconv.Itoa(*group)
}

// store opens (once) the DCS connection for a cluster.
func (s *session) store(scope string, group *int) (dcs.Store, error) {
	key := storeKey(scope, group)
	if st, ok := s.stores[key]; ok {
		return st, nil
	}
	if s.env.OpenStore == nil {
		return nil, errorf("no DCS backend available")
	}
	st, err := s.env.OpenStore(s.cfg, scope, group)
	if err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	s.stores[key] = st
	return st, nil
}

// load reads the whole cluster once.
func (s *session) load(scope string, group *int) (*cluster.View, dcs.Store, error) {
	st, err := s.store(scope, group)
	if err != nil {
		return nil, nil, err
	}
	v, err := st.Load(s.ctx)
	if err != nil {
		return nil, nil, dcsError(err)
	}
	return v, st, nil
}

func dcsError(err error) error {
	if errors.Is(err, dcs.ErrUnreachable) {
		return errorf("DCS is not accessible: %v", err)
	}
	return &Error{Msg: err.Error()}
}

func (s *session) memberAPI() (MemberAPI, error) {
	if s.api != nil {
		return s.api, nil
	}
	if s.env.NewAPI == nil {
		return nil, errorf("no REST client available")
	}
	api, err := s.env.NewAPI(s.cfg, s.insecure || s.cfg.Ctl.Insecure)
	if err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	s.api = api
	return api, nil
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// watching yields once, or every interval seconds when watching.
func (s *session) watching(w bool, interval float64, clear bool, body func() error) error {
	if w && interval == 0 {
		interval = 2
	}
	for n := 0; ; n++ {
		if interval > 0 && clear && s.env.IsTTY != nil && s.env.IsTTY() {
			fmt.Fprint(s.env.Stdout, "\033[2J\033[1;1H")
		}
		if err := body(); err != nil {
			return err
		}
		if interval <= 0 || (s.env.MaxWatch > 0 && n+1 >= s.env.MaxWatch) {
			return nil
		}
		if err := s.env.Sleep(s.ctx, secondsDuration(interval)); err != nil {
			return nil
		}
	}
}
