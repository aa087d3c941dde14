package etcd3_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/dcs"
	"github.com/patroni-go/patroni/internal/dcs/dcstest"
	"github.com/patroni-go/patroni/internal/dcs/etcd3"
	"github.com/patroni-go/patroni/internal/testenv"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestContract(t *testing.T) {
	e := testenv.StartEtcd(t)
	start := time.Now()
	newStore := func(t *testing.T, id dcs.Identity, timing dcs.Timing) dcs.Store {
		st, err := etcd3.New(etcd3.Config{Host: e.Addr()}, id, timing, quietLogger())
		if err != nil {
			t.Fatalf("etcd3.New: %v", err)
		}
		return st
	}
	dcstest.Run(t, newStore, dcstest.ControlFuncs{StopFunc: e.Stop, RestartFunc: func() { e.Restart(t) }})
	t.Logf("contract suite took %v", time.Since(start).Round(time.Millisecond))
}
