// Command patroni is the HA daemon: `patroni CONFIG.yml` keeps the local PostgreSQL in
// the right role; --version and --validate-config answer and exit.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/patroni-go/patroni/internal/config"
	"github.com/patroni-go/patroni/internal/daemon"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("patroni", flag.ContinueOnError)
	fs.SetOutput(stderr)
	version := fs.Bool("version", false, "print the version and exit")
	validate := fs.Bool("validate-config", false, "run the configuration validator and exit")
	ignorePort := fs.Bool("ignore-listen-port", false, "with --validate-config: ignore listen ports already in use")
	fs.BoolVar(ignorePort, "i", false, "shorthand for --ignore-listen-port")
	printCfg := fs.Bool("print", false, "with --validate-config: print the local configuration")
	fs.BoolVar(printCfg, "p", false, "shorthand for --print")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: patroni [--validate-config [-i] [-p] | --version] [configfile]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	if *version {
		fmt.Fprintln(stdout, "patroni", config.Version)
		return 0
	}
	if *validate {
		return config.RunValidate(fs.Arg(0), os.Environ(), config.ValidateOptions{IgnoreListenPort: *ignorePort},
			*printCfg, stdout, stderr)
	}
	return daemon.Run(fs.Arg(0), stderr)
}
