// Package devcluster runs a real Patroni-compatible cluster on this machine: N patroni
// processes on loopback ports, each with its own PostgreSQL, against one DCS. The demo
// and the end-to-end tests both use it, so what a newcomer sees is what the tests check.
package devcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"
)

// DCS names the store the nodes use: Kind is "etcd3", "consul" or "zookeeper".
type DCS struct {
	Kind      string
	Endpoints []string // host:port
}

// Options describe the cluster to create.
type Options struct {
	Scope      string
	Nodes      int
	Dir        string // base directory: keep it short, PostgreSQL sockets live below it
	PatroniBin string
	DCS        DCS
	// TTL, LoopWait and RetryTimeout seed bootstrap.dcs (seconds; Patroni raises ttl to 20).
	TTL, LoopWait, RetryTimeout int
	BinDir                      string // PostgreSQL binaries; "" lets patroni discover them
	// RunAs runs the nodes as this unprivileged user; required when we are root because
	// PostgreSQL refuses to run as root.
	RunAs *user.User
	// Customize may change a node's configuration before it is written.
	Customize func(node int, cfg map[string]any)
	// Env is added to every node's environment.
	Env []string
}

// Cluster is a set of nodes created by New.
type Cluster struct {
	Opts  Options
	Nodes []*Node
}

// Credentials every generated node uses.
const (
	SuperUser     = "postgres"
	SuperPassword = "zalando"
	ReplUser      = "replicator"
	ReplPassword  = "rep-pass"
)

// New writes the configuration of every node; nothing is started yet.
func New(opts Options) (*Cluster, error) {
	if opts.Nodes <= 0 {
		opts.Nodes = 3
	}
	if opts.Scope == "" {
		opts.Scope = "demo"
	}
	if opts.TTL == 0 {
		opts.TTL, opts.LoopWait, opts.RetryTimeout = 20, 1, 3
	}
	if os.Geteuid() == 0 && opts.RunAs == nil {
		return nil, errors.New("running as root: PostgreSQL refuses to run as root, name an unprivileged user to run the nodes as")
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, err
	}
	c := &Cluster{Opts: opts}
	for i := 1; i <= opts.Nodes; i++ {
		n, err := c.newNode(i)
		if err != nil {
			return nil, err
		}
		c.Nodes = append(c.Nodes, n)
	}
	return c, nil
}

func (c *Cluster) newNode(i int) (*Node, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	n := &Node{
		Name:    fmt.Sprintf("node%d", i),
		Index:   i,
		APIPort: ports[0],
		PGPort:  ports[1],
		Dir:     filepath.Join(c.Opts.Dir, fmt.Sprintf("n%d", i)),
		cluster: c,
	}
	n.ConfigPath = filepath.Join(n.Dir, "patroni.yml")
	n.DataDir = filepath.Join(n.Dir, "data")
	n.LogPath = filepath.Join(n.Dir, "patroni.log")
	if err := os.MkdirAll(n.Dir, 0o700); err != nil {
		return nil, err
	}
	if err := n.WriteConfig(c.nodeConfig(n)); err != nil {
		return nil, err
	}
	return n, nil
}

// nodeConfig is a Patroni YAML configuration for node n, as a generic map.
func (c *Cluster) nodeConfig(n *Node) map[string]any {
	o := c.Opts
	api := fmt.Sprintf("127.0.0.1:%d", n.APIPort)
	pg := fmt.Sprintf("127.0.0.1:%d", n.PGPort)
	pgsql := map[string]any{
		"listen":          pg,
		"connect_address": pg,
		"data_dir":        n.DataDir,
		"pgpass":          filepath.Join(n.Dir, "pgpass"),
		"authentication": map[string]any{
			"superuser":   map[string]any{"username": SuperUser, "password": SuperPassword},
			"replication": map[string]any{"username": ReplUser, "password": ReplPassword},
			"rewind":      map[string]any{"username": "rewind_user", "password": "rewind_password"},
		},
		"parameters": map[string]any{"unix_socket_directories": n.Dir},
		"pg_hba": []any{
			"local all all trust",
			"host replication " + ReplUser + " 127.0.0.1/32 md5",
			"host all all 127.0.0.1/32 md5",
		},
	}
	if o.BinDir != "" {
		pgsql["bin_dir"] = o.BinDir
	}
	cfg := map[string]any{
		"scope":     o.Scope,
		"namespace": "/service/",
		"name":      n.Name,
		"log":       map[string]any{"level": "INFO"},
		"restapi":   map[string]any{"listen": api, "connect_address": api},
		"bootstrap": map[string]any{
			"dcs": map[string]any{
				"ttl": o.TTL, "loop_wait": o.LoopWait, "retry_timeout": o.RetryTimeout,
				"maximum_lag_on_failover": 1048576,
				"postgresql": map[string]any{
					"use_pg_rewind": true, "use_slots": true,
					"parameters": map[string]any{"wal_keep_size": "128MB", "max_wal_senders": 10},
				},
			},
			"initdb": []any{map[string]any{"encoding": "UTF8"}, "data-checksums"},
		},
		"postgresql": pgsql,
		"tags":       map[string]any{},
	}
	kind := o.DCS.Kind
	if kind == "" {
		kind = "etcd3"
	}
	cfg[kind] = dcsSection(o.DCS)
	if o.Customize != nil {
		o.Customize(n.Index, cfg)
	}
	return cfg
}

// dcsSection is the configuration section of the DCS d names.
func dcsSection(d DCS) map[string]any {
	switch d.Kind {
	case "consul":
		return map[string]any{"host": first(d.Endpoints)}
	case "zookeeper":
		return map[string]any{"hosts": d.Endpoints}
	default:
		return map[string]any{"hosts": d.Endpoints}
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// WriteConfig replaces the node's YAML configuration file.
func (n *Node) WriteConfig(cfg map[string]any) error {
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := os.WriteFile(n.ConfigPath, b, 0o600); err != nil {
		return err
	}
	return n.chown(n.Dir)
}

// chown hands the node's files to the user the node runs as.
func (n *Node) chown(path string) error {
	u := n.cluster.Opts.RunAs
	if u == nil {
		return nil
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(path, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// Start starts every node.
func (c *Cluster) Start() error {
	for _, n := range c.Nodes {
		if err := n.Start(); err != nil {
			return err
		}
	}
	return nil
}

// Stop stops every node gracefully (SIGTERM, then SIGKILL after the timeout).
func (c *Cluster) Stop(timeout time.Duration) {
	for _, n := range c.Nodes {
		n.Stop(timeout)
	}
}

// Leader asks every running node's REST API which one answers GET /primary with 200.
func (c *Cluster) Leader(ctx context.Context) (*Node, error) {
	for _, n := range c.Nodes {
		if code, _ := n.Get(ctx, "/primary"); code == http.StatusOK {
			return n, nil
		}
	}
	return nil, errors.New("no node answers GET /primary with 200")
}

// WaitForLeader polls until a node is primary, or the timeout passes.
func (c *Cluster) WaitForLeader(ctx context.Context, timeout time.Duration) (*Node, error) {
	deadline := time.Now().Add(timeout)
	for {
		n, err := c.Leader(ctx)
		if err == nil {
			return n, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no leader after %s: %w", timeout, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Node looks a node up by name.
func (c *Cluster) Node(name string) *Node {
	for _, n := range c.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// credential returns the process credential for RunAs, nil to run as ourselves.
func credential(u *user.User) (*syscall.Credential, error) {
	if u == nil {
		return nil, nil
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// homeEnv is the environment a node runs with: ours minus PATRONI_*, plus HOME/USER of
// the user it runs as.
func homeEnv(u *user.User, extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATRONI") || (u != nil && (strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "USER="))) {
			continue
		}
		env = append(env, kv)
	}
	if u != nil {
		env = append(env, "HOME="+u.HomeDir, "USER="+u.Username)
	}
	return append(env, extra...)
}
