// Command patronictl manages Patroni clusters: list members, switch over,
// restart, edit the dynamic configuration... It reads the same YAML as the
// daemon and talks to the DCS and to the members' REST API.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/patroni-go/patroni/internal/api/client"
	"github.com/patroni-go/patroni/internal/config"
	"github.com/patroni-go/patroni/internal/ctl"
	"github.com/patroni-go/patroni/internal/dcs"
	// The DCS backends patronictl speaks register themselves.
	_ "github.com/patroni-go/patroni/internal/dcs/consul"
	_ "github.com/patroni-go/patroni/internal/dcs/etcd3"
	_ "github.com/patroni-go/patroni/internal/dcs/zookeeper"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	home, _ := os.UserHomeDir()
	env := ctl.Defaults()
	env.Stdin, env.Stdout, env.Stderr = os.Stdin, os.Stdout, os.Stderr
	env.Environ = os.Environ()
	env.HomeDir = home
	env.TempDir = os.TempDir()
	env.IsTTY = func() bool { return isTerminal(os.Stdout) }
	env.OpenStore = openStore
	env.NewAPI = newAPI
	os.Exit(ctl.Main(ctx, os.Args[1:], &env))
}

// openStore connects to the configured DCS in read-only ctl mode with
// linearizable reads. A Citus group lives under <scope>/<group>.
func openStore(cfg *config.Config, scope string, group *int) (dcs.Store, error) {
	if group != nil {
		scope = fmt.Sprintf("%s/%d", scope, *group)
	}
	name := cfg.Name
	if name == "" {
		name = scope
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	return dcs.Open(cfg.Raw, dcs.OpenOptions{
		Identity:   dcs.Identity{Namespace: cfg.Namespace, Scope: scope, Name: name},
		Timing:     dcs.DefaultTiming,
		Logger:     quiet,
		Consistent: true,
	})
}

// newAPI builds the REST client with Patroni's ctl settings: basic auth from
// ctl.authentication else restapi.authentication, client certificate from
// ctl, CA from ctl.cacert else restapi.cafile.
func newAPI(cfg *config.Config, insecure bool) (ctl.MemberAPI, error) {
	o := client.Options{
		CACert:          cfg.CtlCACert(),
		CertFile:        cfg.Ctl.CertFile,
		KeyFile:         cfg.Ctl.KeyFile,
		KeyFilePassword: cfg.Ctl.KeyFilePassword,
		Insecure:        insecure,
	}
	if a := cfg.CtlAuth(); a != nil {
		o.Username, o.Password = a.Username, a.Password
	}
	return client.New(o)
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
