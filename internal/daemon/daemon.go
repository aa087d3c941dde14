// Package daemon wires the configuration, the DCS store, PostgreSQL, the REST API and the
// HA loop into one running patroni process.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/patroni-go/patroni/internal/api"
	"github.com/patroni-go/patroni/internal/api/client"
	"github.com/patroni-go/patroni/internal/callback"
	"github.com/patroni-go/patroni/internal/cluster"
	"github.com/patroni-go/patroni/internal/config"
	"github.com/patroni-go/patroni/internal/dcs"
	"github.com/patroni-go/patroni/internal/ha"
	"github.com/patroni-go/patroni/internal/pg"
	"github.com/patroni-go/patroni/internal/watchdog"

	// The DCS backends this daemon speaks.
	_ "github.com/patroni-go/patroni/internal/dcs/consul"
	_ "github.com/patroni-go/patroni/internal/dcs/etcd3"
	_ "github.com/patroni-go/patroni/internal/dcs/zookeeper"
)

// Run starts the daemon with the configuration at path and returns the exit code.
func Run(path string, stderr io.Writer) int {
	// PATRONI_* variables are removed from our environment once read (they must not
	// leak into PostgreSQL or callbacks); a reload applies them again from this copy.
	environ := os.Environ()
	cfg, err := config.Load(path, environ)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	config.UnsetConsumedEnv(cfg.ConsumedEnv)
	log := newLogger(stderr, cfg.Log.Level)
	slog.SetDefault(log)
	for _, w := range cfg.Tags.Warnings() {
		log.Warn(w)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, path, environ, cfg, log); err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			return exit.code
		}
		log.Error(err.Error())
		return 1
	}
	return 0
}

type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func run(ctx context.Context, path string, environ []string, cfg *config.Config, log *slog.Logger) error {
	if cfg.Name == "" || cfg.Scope == "" {
		return errors.New("name and scope must be configured")
	}
	cm, err := newConfigManager(path, environ, cfg, log)
	if err != nil {
		return err
	}
	settings, _ := cm.Apply(nil)
	store, err := dcs.Open(cfg.Raw, dcs.OpenOptions{
		Identity: dcs.Identity{Namespace: cfg.Namespace, Scope: cfg.Scope, Name: cfg.Name},
		Timing:   dcs.Timing{TTL: settings.TTL, LoopWait: settings.LoopWait, RetryTimeout: settings.RetryTimeout},
		Logger:   log,
	})
	if err != nil {
		return err
	}
	defer store.Close()
	peers, err := client.New(clientOptions(cfg))
	if err != nil {
		return fmt.Errorf("REST client: %w", err)
	}
	if err := refuseDuplicate(ctx, store, peers, cfg.Name, log); err != nil {
		return err
	}
	srv, err := pg.New(ctx, cm.pgOpts)
	if err != nil {
		return err
	}
	defer srv.Close()
	callbacks := callback.NewRunner(cfg.Postgresql.Callbacks, cfg.Scope, log)
	defer callbacks.Close()
	wdCfg := watchdogConfig(cfg)
	if err := wdCfg.Check(); err != nil {
		return err
	}
	wd := watchdog.New(wdCfg, log)

	pub := &api.Publisher{}
	runner := ha.New(ha.Deps{Name: cfg.Name, Scope: cfg.Scope, Store: store, PG: srv, Callbacks: callbacks,
		Peers: peers, Publisher: pub, Config: cm, Logger: log, Watchdog: wd})
	apiSrv, err := api.New(apiConfig(cfg.RestAPI), api.Options{Publisher: pub, Node: runner, Store: store,
		Peers: &api.ClientPeerChecker{Client: peers, Timeout: 2 * time.Second}, Logger: log})
	if err != nil {
		return err
	}
	if err := apiSrv.Start(); err != nil {
		return fmt.Errorf("Couldn't start a service on '%s', please check your `restapi.listen` configuration: %w", cfg.RestAPI.Listen, err)
	}
	cm.mu.Lock()
	cm.srv, cm.api, cm.callbacks, cm.wd = srv, apiSrv, callbacks, wd
	cm.mu.Unlock()

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			runner.RequestReload()
		}
	}()

	runErr := runner.Run(ctx)
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = apiSrv.Shutdown(sctx)
	cancel()
	if errors.Is(runErr, ha.ErrExit) {
		return exitError{code: runner.ExitCode()}
	}
	return runErr
}

// refuseDuplicate exits when a live member with our name exists (dcs.md §5).
func refuseDuplicate(ctx context.Context, store dcs.Store, peers *client.Client, name string, log *slog.Logger) error {
	var view *cluster.View
	for {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		v, err := store.Load(lctx)
		cancel()
		if err == nil {
			view = v
			break
		}
		log.Info("waiting on DCS", "error", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
		}
	}
	m := view.Member(name)
	if m == nil || m.APIURL == "" {
		return nil
	}
	base := m.APIURL
	lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	resp, err := peers.Get(lctx, base, "liveness")
	if err == nil && resp != nil && resp.StatusCode > 0 {
		log.Log(ctx, levelCritical, fmt.Sprintf("Can't start; there is already a node named '%s' running", name))
		return exitError{code: 1}
	}
	return nil
}
