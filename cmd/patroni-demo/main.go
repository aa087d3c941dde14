// Command patroni-demo runs a real 3-node cluster on this machine: an embedded etcd and
// three patroni processes with their own PostgreSQL, on loopback, until Ctrl-C.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/patroni-go/patroni/internal/devcluster"
)

func main() {
	var opts devcluster.DemoOptions
	flag.IntVar(&opts.Nodes, "nodes", 3, "number of nodes")
	flag.StringVar(&opts.User, "user", "", "unprivileged user to run PostgreSQL as when started as root (default: postgres)")
	flag.StringVar(&opts.BinDir, "bin-dir", "", "directory with the patroni and patronictl binaries (default: next to this program)")
	flag.StringVar(&opts.PGBinDir, "pg-bin-dir", "", "PostgreSQL binaries (default: discovered)")
	consul := flag.String("consul", "", "use this Consul agent (host:port) instead of the embedded etcd")
	zookeeper := flag.String("zookeeper", "", "use this ZooKeeper ensemble (host:port[,host:port...]) instead of the embedded etcd")
	flag.Parse()
	switch {
	case *consul != "" && *zookeeper != "":
		fmt.Fprintln(os.Stderr, "patroni-demo: choose one of -consul and -zookeeper")
		os.Exit(2)
	case *consul != "":
		opts.DCS = devcluster.DCS{Kind: "consul", Endpoints: []string{*consul}}
	case *zookeeper != "":
		opts.DCS = devcluster.DCS{Kind: "zookeeper", Endpoints: strings.Split(*zookeeper, ",")}
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	if err := devcluster.RunDemo(opts, os.Stdout, stop); err != nil {
		fmt.Fprintln(os.Stderr, "patroni-demo:", err)
		os.Exit(1)
	}
}
