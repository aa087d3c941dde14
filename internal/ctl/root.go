package ctl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Main runs patronictl with args (without the program name) and returns the
// exit code: 0 success, 1 an "Error:" or an aborted prompt, 2 bad usage.
func Main(ctx context.Context, args []string, env *Env) int {
	env = withDefaults(env)
	s := newSession(ctx, env)
	defer s.close()
	root := newRootCommand(s)
	root.SetArgs(args)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetIn(env.Stdin)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	err = classify(cmd, err)
	report(env, err)
	return ExitCode(err)
}

func report(env *Env, err error) {
	var ue *UsageError
	switch {
	case errors.Is(err, errAbort):
		fmt.Fprintln(env.Stderr, "Aborted!")
	case errors.As(err, &ue):
		if ue.Cmd != "" {
			fmt.Fprintf(env.Stderr, "%s\nTry '%s --help' for help.\n\n", wrapUsage(ue.Cmd), strings.SplitN(ue.Cmd, " [", 2)[0])
		}
		fmt.Fprintf(env.Stderr, "Error: %s\n", ue.Msg)
	default:
		fmt.Fprintf(env.Stderr, "Error: %s\n", err.Error())
	}
}

// wrapUsage formats "Usage: <prog> <args>" like click: arguments wrapped at
// 78 columns under the first one.
func wrapUsage(cmd string) string {
	prog, args, _ := strings.Cut(cmd, " [OPTIONS]")
	prefix := "Usage: " + prog + " "
	words := strings.Fields("[OPTIONS]" + args)
	var lines []string
	line := prefix
	for _, w := range words {
		if line != prefix && strings.TrimRight(line, " ") != "" && len(line)+len(w) > 78 {
			lines = append(lines, strings.TrimRight(line, " "))
			line = strings.Repeat(" ", len(prefix))
		}
		line += w + " "
	}
	return strings.Join(append(lines, strings.TrimRight(line, " ")), "\n")
}

var (
	reUnknownFlag  = regexp.MustCompile(`^unknown (?:shorthand )?flag: (?:'.' in )?(\S+)`)
	reNeedsArg     = regexp.MustCompile(`^flag needs an argument: (?:'(.)' in -.|(--\S+))`)
	reInvalidValue = regexp.MustCompile(`^invalid argument "(.*)" for "(.*?)" flag: .*(ParseInt|ParseFloat)`)
)

// classify turns cobra/pflag errors into click-like usage errors.
func classify(cmd *cobra.Command, err error) error {
	var ce *Error
	var ue *UsageError
	if errors.As(err, &ce) || errors.As(err, &ue) || errors.Is(err, errAbort) {
		if ue != nil && ue.Cmd == "" {
			ue.Cmd = usageLine(cmd)
		}
		return err
	}
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "unknown command"):
		name := strings.SplitN(msg, `"`, 3)
		if len(name) > 1 {
			msg = fmt.Sprintf("No such command '%s'.", name[1])
		}
	case reUnknownFlag.MatchString(msg):
		msg = "No such option: " + reUnknownFlag.FindStringSubmatch(msg)[1]
	case reNeedsArg.MatchString(msg):
		m := reNeedsArg.FindStringSubmatch(msg)
		opt := m[2]
		if m[1] != "" {
			opt = "-" + m[1]
		}
		msg = fmt.Sprintf("Option '%s' requires an argument.", opt)
	case reInvalidValue.MatchString(msg):
		m := reInvalidValue.FindStringSubmatch(msg)
		kind := "integer"
		if m[3] == "ParseFloat" {
			kind = "float"
		}
		msg = fmt.Sprintf("Invalid value for '%s': '%s' is not a valid %s.", strings.TrimPrefix(m[2], "-W, "), m[1], kind)
	}
	return &UsageError{Cmd: usageLine(cmd), Msg: msg}
}

func usageLine(cmd *cobra.Command) string {
	if cmd == nil {
		return "patronictl [OPTIONS] COMMAND [ARGS]..."
	}
	if !cmd.HasParent() {
		return "patronictl [OPTIONS] COMMAND [ARGS]..."
	}
	return "patronictl " + cmd.Use
}

func newRootCommand(s *session) *cobra.Command {
	var configFile, dcsURL string
	root := &cobra.Command{
		Use:               "patronictl",
		Short:             "Command-line interface for interacting with Patroni.",
		SilenceErrors:     true,
		SilenceUsage:      true,
		TraverseChildren:  true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.HasParent() {
				return nil
			}
			return s.setup(cmd, configFile, dcsURL)
		},
		// The root runs only when no subcommand matched.
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &UsageError{Msg: "Missing command."}
			}
			return &UsageError{Msg: fmt.Sprintf("No such command '%s'.", args[0])}
		},
	}
	def := DefaultConfigPath(s.env.Environ, s.env.HomeDir)
	cfgDefault := lookupEnv(s.env.Environ, "PATRONICTL_CONFIG_FILE")
	if cfgDefault == "" {
		cfgDefault = def
	}
	f := root.Flags()
	f.StringVarP(&configFile, "config-file", "c", cfgDefault, "Configuration file")
	f.StringVarP(&dcsURL, "dcs-url", "d", lookupEnv(s.env.Environ, "DCS_URL"), "The DCS connect url")
	f.StringVar(&dcsURL, "dcs", lookupEnv(s.env.Environ, "DCS_URL"), "The DCS connect url")
	_ = f.MarkHidden("dcs")
	f.BoolVarP(&s.insecure, "insecure", "k", false, "Allow connections to SSL sites without certs")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return classify(c, err) })
	for _, build := range commandBuilders {
		c := build(s)
		c.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return classify(c, err) })
		root.AddCommand(c)
	}
	return root
}

func (s *session) setup(cmd *cobra.Command, configFile, dcsURL string) error {
	if cmd.Name() == "help" {
		return nil
	}
	cfg, err := LoadConfig(configFile, DefaultConfigPath(s.env.Environ, s.env.HomeDir), dcsURL, s.env.Environ)
	if err != nil {
		return err
	}
	s.cfg = cfg
	return nil
}

// commandBuilders lists every subcommand.
var commandBuilders = []func(*session) *cobra.Command{
	listCommand, topologyCommand, historyCommand, showConfigCommand, editConfigCommand, dsnCommand,
	queryCommand, removeCommand, reloadCommand, restartCommand, reinitCommand, failoverCommand,
	switchoverCommand, flushCommand, pauseCommand, resumeCommand, versionCommand,
	demoteClusterCommand, promoteClusterCommand,
}

// groupFlag adds --group and returns a getter that is nil when not given.
func groupFlag(c *cobra.Command) func() *int {
	var g int
	c.Flags().IntVar(&g, "group", 0, "Citus group")
	return func() *int {
		if c.Flags().Changed("group") {
			return &g
		}
		return nil
	}
}

// optString returns a getter that is nil when the flag was not given.
func optString(c *cobra.Command, name, short, usage string) func() *string {
	var v string
	c.Flags().StringVarP(&v, name, short, "", usage)
	return func() *string {
		if c.Flags().Changed(name) {
			return &v
		}
		return nil
	}
}

func choice(opt, value string, choices []string) error {
	for _, c := range choices {
		if c == value {
			return nil
		}
	}
	q := make([]string, len(choices))
	for i, c := range choices {
		q[i] = "'" + c + "'"
	}
	return &UsageError{Msg: fmt.Sprintf("Invalid value for %s: '%s' is not one of %s.", opt, value, strings.Join(q, ", "))}
}

var formatChoices = []string{"pretty", "tsv", "json", "yaml", "yml"}

func formatFlag(c *cobra.Command) *string {
	return c.Flags().StringP("format", "f", "pretty", "Output format")
}

func watchFlags(c *cobra.Command) (*bool, *float64) {
	w := c.Flags().BoolP("W", "W", false, "Auto update the screen every 2 seconds")
	watch := c.Flags().Float64P("watch", "w", 0, "Auto update the screen every X seconds")
	return w, watch
}

// args validators with click's messages.
func maxArgs(n int) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) <= n {
			return nil
		}
		extra := args[n:]
		plural := ""
		if len(extra) > 1 {
			plural = "s"
		}
		return &UsageError{Msg: fmt.Sprintf("Got unexpected extra argument%s (%s)", plural, strings.Join(extra, " "))}
	}
}

func minArgs(names ...string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < len(names) {
			return &UsageError{Msg: fmt.Sprintf("Missing argument '%s'.", names[len(args)])}
		}
		return nil
	}
}

func withDefaults(env *Env) *Env {
	e := *env
	d := Defaults()
	if e.Stdin == nil {
		e.Stdin = os.Stdin
	}
	if e.Stdout == nil {
		e.Stdout = os.Stdout
	}
	if e.Stderr == nil {
		e.Stderr = os.Stderr
	}
	if e.Now == nil {
		e.Now = d.Now
	}
	if e.Sleep == nil {
		e.Sleep = d.Sleep
	}
	if e.IsTTY == nil {
		e.IsTTY = func() bool { return false }
	}
	if e.Run == nil {
		e.Run = d.Run
	}
	if e.LookPath == nil {
		e.LookPath = d.LookPath
	}
	if e.RandIntn == nil {
		e.RandIntn = d.RandIntn
	}
	if e.Connect == nil {
		e.Connect = PgxConnect
	}
	return &e
}

var _ = pflag.ContinueOnError
