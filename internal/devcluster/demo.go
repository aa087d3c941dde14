package devcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"
)

// DemoOptions configure RunDemo.
type DemoOptions struct {
	Nodes    int
	User     string // run nodes as this user when root
	BinDir   string // where patroni and patronictl are
	PGBinDir string
	// DCS, when Kind is set, is an existing Consul agent or ZooKeeper ensemble to use
	// instead of the embedded etcd.
	DCS DCS
}

const demoLock = "/tmp/patroni-demo.lock"

// RunDemo starts an embedded etcd and a cluster, prints how to use it, and keeps it
// running until stop receives a signal; then it stops everything it started.
func RunDemo(o DemoOptions, out io.Writer, stop <-chan os.Signal) error {
	lock, err := os.OpenFile(demoLock, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	_ = lock.Chmod(0o666) // whoever runs the next demo, root or not, can take the lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return errors.New("another patroni-demo is already running on this machine (" + demoLock + " is locked)")
	}
	runAs, err := demoUser(o.User)
	if err != nil {
		return err
	}
	binDir, err := demoBinDir(o.BinDir)
	if err != nil {
		return err
	}
	if err := checkPostgres(o.PGBinDir); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "pgdemo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	bins, err := copyBinaries(binDir, dir)
	if err != nil {
		return err
	}
	store := o.DCS
	if store.Kind == "" {
		etcd, err := StartEmbeddedEtcd(dir)
		if err != nil {
			return err
		}
		defer etcd.Close()
		store = DCS{Kind: "etcd3", Endpoints: []string{etcd.Endpoint}}
	}
	c, err := New(Options{Scope: "demo", Nodes: o.Nodes, Dir: dir, PatroniBin: bins["patroni"], RunAs: runAs,
		BinDir: o.PGBinDir, DCS: store, TTL: 20, LoopWait: 2, RetryTimeout: 5})
	if err != nil {
		return err
	}
	defer c.Stop(30 * time.Second)
	if err := c.Start(); err != nil {
		return err
	}
	ctlCfg := filepath.Join(dir, "patronictl.yml")
	if err := WriteCtlConfig(ctlCfg, "demo", store); err != nil {
		return err
	}
	fmt.Fprintf(out, "Starting %d nodes against %s %s in %s ...\n", len(c.Nodes), store.Kind, strings.Join(store.Endpoints, ","), dir)
	if _, err := c.WaitForLeader(context.Background(), 120*time.Second); err != nil {
		for _, n := range c.Nodes {
			fmt.Fprintf(out, "--- %s log:\n%s\n", n.Name, n.LogTail(3000))
		}
		return err
	}
	c.waitHealthy(90 * time.Second)
	printDemo(out, c, bins["patronictl"], ctlCfg)
	<-stop
	fmt.Fprintln(out, "\nStopping the cluster ...")
	return nil
}

func printDemo(out io.Writer, c *Cluster, ctl, ctlCfg string) {
	list := exec.Command(ctl, "-c", ctlCfg, "list")
	list.Stdout, list.Stderr = out, out
	_ = list.Run()
	fmt.Fprintln(out, "\nNodes:")
	for _, n := range c.Nodes {
		fmt.Fprintf(out, "  %s  REST %s  PostgreSQL 127.0.0.1:%d  patroni pid %d  postmaster pid %d  log %s\n",
			n.Name, n.APIURL(), n.PGPort, n.PID(), n.PostmasterPID(), n.LogPath)
	}
	fmt.Fprintf(out, "\nTry:\n  %s -c %s list\n", ctl, ctlCfg)
	fmt.Fprintf(out, "  %s -c %s switchover --force\n", ctl, ctlCfg)
	fmt.Fprintf(out, "  curl -s %s/patroni\n", c.Nodes[0].APIURL())
	fmt.Fprintf(out, "  psql 'host=127.0.0.1 port=%d user=%s password=%s'\n", c.Nodes[0].PGPort, SuperUser, SuperPassword)
	fmt.Fprintln(out, "  kill the primary: kill -9 <its patroni pid> <its postmaster pid> (listed above), then watch a replica take over with list")
	fmt.Fprintln(out, "\nPress Ctrl-C to stop everything.")
}

// waitHealthy waits until every node answers GET /health with 200 (PostgreSQL running),
// so that the first list the demo prints shows streaming replicas, not clones in progress.
func (c *Cluster) waitHealthy(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		healthy := 0
		for _, n := range c.Nodes {
			if code, _ := n.Get(context.Background(), "/replica?replication_state=streaming"); code == 200 {
				healthy++
			} else if code, _ := n.Get(context.Background(), "/primary"); code == 200 {
				healthy++
			}
		}
		if healthy == len(c.Nodes) {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func demoUser(name string) (*user.User, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	if name == "" {
		name = "postgres"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL refuses to run as root; no unprivileged user %q to run it as (create one, or pass -user NAME): %w", name, err)
	}
	if u.Uid == "0" {
		return nil, fmt.Errorf("-user %s is root; PostgreSQL needs an unprivileged user", name)
	}
	return u, nil
}

func demoBinDir(dir string) (string, error) {
	if dir == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", err
		}
		dir = filepath.Dir(exe)
	}
	for _, b := range []string{"patroni", "patronictl"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("no %s binary in %s (build with `make build`): %w", b, dir, err)
		}
	}
	return dir, nil
}

// checkPostgres fails early, with a clear message, when no PostgreSQL server is installed.
func checkPostgres(binDir string) error {
	if binDir != "" {
		if _, err := os.Stat(filepath.Join(binDir, "postgres")); err != nil {
			return fmt.Errorf("PostgreSQL is not installed in %s: %w", binDir, err)
		}
		return nil
	}
	if _, err := exec.LookPath("postgres"); err == nil {
		return nil
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres"); len(m) > 0 {
		return nil
	}
	return errors.New("PostgreSQL is not installed: no postgres binary on PATH or in /usr/lib/postgresql/*/bin (apt-get install postgresql)")
}

// copyBinaries puts patroni and patronictl into dir, where an unprivileged user can run them
// even when the checkout lives under /root.
func copyBinaries(from, dir string) (map[string]string, error) {
	out := map[string]string{}
	for _, b := range []string{"patroni", "patronictl"} {
		data, err := os.ReadFile(filepath.Join(from, b))
		if err != nil {
			return nil, err
		}
		dst := filepath.Join(dir, b)
		if err := os.WriteFile(dst, data, 0o755); err != nil {
			return nil, err
		}
		out[b] = dst
	}
	return out, nil
}

// WriteCtlConfig writes a patronictl configuration for scope with the DCS section of d.
func WriteCtlConfig(path, scope string, d DCS) error {
	kind := d.Kind
	if kind == "" {
		kind = "etcd3"
	}
	b, err := yaml.Marshal(map[string]any{"scope": scope, "namespace": "/service/", kind: dcsSection(d)})
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
