package ctl

import (
	"github.com/spf13/cobra"
)

func listCommand(s *session) *cobra.Command {
	c := &cobra.Command{Use: "list [OPTIONS] [CLUSTER_NAMES]...", Short: "List the Patroni members for a given Patroni"}
	group := groupFlag(c)
	extended := c.Flags().BoolP("extended", "e", false, "Show some extra information")
	ts := c.Flags().BoolP("timestamp", "t", false, "Print timestamp")
	format := formatFlag(c)
	w, watch := watchFlags(c)
	c.RunE = func(_ *cobra.Command, args []string) error {
		if err := choice("'--format' / '-f'", *format, formatChoices); err != nil {
			return err
		}
		return s.runList(listArgs{names: args, group: group(), extended: *extended, timestamp: *ts,
			format: *format, w: *w, watch: *watch})
	}
	return c
}

func topologyCommand(s *session) *cobra.Command {
	c := &cobra.Command{Use: "topology [OPTIONS] [CLUSTER_NAMES]...", Short: "Prints ASCII topology for given cluster"}
	group := groupFlag(c)
	w, watch := watchFlags(c)
	c.RunE = func(_ *cobra.Command, args []string) error {
		return s.runList(listArgs{names: args, group: group(), format: "topology", w: *w, watch: *watch})
	}
	return c
}

func historyCommand(s *session) *cobra.Command {
	c := &cobra.Command{Use: "history [OPTIONS] [CLUSTER_NAME]", Short: "Show the history of failovers/switchovers",
		Args: maxArgs(1)}
	group := groupFlag(c)
	format := formatFlag(c)
	c.RunE = func(_ *cobra.Command, args []string) error {
		if err := choice("'--format' / '-f'", *format, formatChoices); err != nil {
			return err
		}
		name, err := s.scope(args)
		if err != nil {
			return err
		}
		return s.runHistory(name, group(), *format)
	}
	return c
}

func showConfigCommand(s *session) *cobra.Command {
	c := &cobra.Command{Use: "show-config [OPTIONS] [CLUSTER_NAME]", Short: "Show cluster configuration", Args: maxArgs(1)}
	group := groupFlag(c)
	c.RunE = func(_ *cobra.Command, args []string) error {
		name, err := s.scope(args)
		if err != nil {
			return err
		}
		return s.runShowConfig(name, group())
	}
	return c
}

func editConfigCommand(s *session) *cobra.Command {
	c := &cobra.Command{Use: "edit-config [OPTIONS] [CLUSTER_NAME]", Short: "Edit cluster configuration", Args: maxArgs(1)}
	group := groupFlag(c)
	var a editConfigArgs
	c.Flags().BoolVarP(&a.quiet, "quiet", "q", false, "Do not show changes")
	c.Flags().StringArrayVarP(&a.set, "set", "s", nil, "Set specific configuration value. Can be specified multiple times")
	c.Flags().StringArrayVarP(&a.pg, "pg", "p", nil, "Set specific PostgreSQL parameter value. Shorthand for -s "+
		"postgresql.parameters. Can be specified multiple times")
	c.Flags().StringVar(&a.apply, "apply", "", "Apply configuration from file. Use - for stdin.")
	c.Flags().StringVar(&a.replace, "replace", "", "Apply configuration from file, replacing existing configuration. Use - for stdin.")
	c.Flags().BoolVar(&a.force, "force", false, "Do not ask for confirmation at any point")
	c.RunE = func(_ *cobra.Command, args []string) error {
		name, err := s.scope(args)
		if err != nil {
			return err
		}
		a.cluster, a.group = name, group()
		return s.runEditConfig(a)
	}
	return c
}

func dsnCommand(s *session) *cobra.Command {
	c := &cobra.Command{Use: "dsn [OPTIONS] [CLUSTER_NAME]",
		Short: "Generate a dsn for the provided member, defaults to a dsn of the leader", Args: maxArgs(1)}
	group := groupFlag(c)
	role := optString(c, "role", "r", "Give a dsn of any member with this role")
	member := c.Flags().StringP("member", "m", "", "Generate a dsn for this member")
	c.RunE = func(_ *cobra.Command, args []string) error {
		r, err := roleValue(role())
		if err != nil {
			return err
		}
		name, err := s.scope(args)
		if err != nil {
			return err
		}
		return s.runDSN(name, group(), r, *member)
	}
	return c
}

func roleValue(v *string) (string, error) {
	if v == nil {
		return "", nil
	}
	return *v, choice("'--role' / '-r'", *v, roleChoices)
}

func queryCommand(s *session) *cobra.Command {
	c := &cobra.Command{Use: "query [OPTIONS] [CLUSTER_NAME]", Short: "Query a Patroni PostgreSQL member", Args: maxArgs(1)}
	group := groupFlag(c)
	var a queryArgs
	f := c.Flags()
	f.StringVar(&a.format, "format", "tsv", "Output format (pretty, tsv, json, yaml)")
	f.StringVarP(&a.file, "file", "f", "", "Execute the SQL commands from this file")
	f.BoolVar(&a.password, "password", false, "force password prompt")
	f.StringVarP(&a.username, "username", "U", "", "database user name")
	w, watch := watchFlags(c)
	role := optString(c, "role", "r", "The role of the query")
	f.StringVarP(&a.member, "member", "m", "", "Query a specific member")
	f.StringVar(&a.delimiter, "delimiter", "\t", "The column delimiter")
	command := optString(c, "command", "c", "The SQL commands to execute")
	f.StringVarP(&a.dbname, "dbname", "d", "", "database name to connect to")
	c.RunE = func(_ *cobra.Command, args []string) error {
		var err error
		if a.role, err = roleValue(role()); err != nil {
			return err
		}
		if a.cluster, err = s.scope(args); err != nil {
			return err
		}
		a.group, a.command, a.w, a.watch = group(), command(), *w, *watch
		return s.runQuery(a)
	}
	return c
}

func removeCommand(s *session) *cobra.Command {
	c := &cobra.Command{Use: "remove [OPTIONS] CLUSTER_NAME", Short: "Remove cluster from DCS",
		Args: cobra.MatchAll(minArgs("CLUSTER_NAME"), maxArgs(1))}
	group := groupFlag(c)
	format := formatFlag(c)
	c.RunE = func(_ *cobra.Command, args []string) error {
		if err := choice("'--format' / '-f'", *format, formatChoices); err != nil {
			return err
		}
		return s.runRemove(args[0], group(), *format)
	}
	return c
}

// memberCommand builds reload/restart/flush's common shape:
// CLUSTER_NAME [MEMBER_NAMES...] --group -r/--role --force.
func memberCommand(use, short, roleHelp string, a *memberArgs) (*cobra.Command, func([]string) error) {
	c := &cobra.Command{Use: use, Short: short, Args: minArgs("CLUSTER_NAME")}
	group := groupFlag(c)
	c.Flags().StringVarP(&a.role, "role", "r", "any", roleHelp)
	c.Flags().BoolVar(&a.force, "force", false, "Do not ask for confirmation at any point")
	return c, func(args []string) error {
		if err := choice("'--role' / '-r'", a.role, roleChoices); err != nil {
			return err
		}
		a.cluster, a.names, a.group = args[0], args[1:], group()
		return nil
	}
}

func reloadCommand(s *session) *cobra.Command {
	var a memberArgs
	c, prep := memberCommand("reload [OPTIONS] CLUSTER_NAME [MEMBER_NAMES]...", "Reload cluster member configuration",
		"Reload only members with this role", &a)
	c.RunE = func(_ *cobra.Command, args []string) error {
		if err := prep(args); err != nil {
			return err
		}
		return s.runReload(a)
	}
	return c
}

func restartCommand(s *session) *cobra.Command {
	var a restartArgs
	c, prep := memberCommand("restart [OPTIONS] CLUSTER_NAME [MEMBER_NAMES]...", "Restart cluster member",
		"Restart only members with this role", &a.memberArgs)
	c.Flags().BoolVar(&a.any, "any", false, "Restart a single member only")
	scheduled := optString(c, "scheduled", "", "Timestamp of a scheduled restart in unambiguous format (e.g. ISO 8601)")
	version := optString(c, "pg-version", "", "Restart if the PostgreSQL version is less than provided (e.g. 9.5.2)")
	c.Flags().BoolVar(&a.pending, "pending", false, "Restart if pending")
	timeout := optString(c, "timeout", "", "Return error and fail over if necessary when restarting takes longer than this.")
	c.RunE = func(_ *cobra.Command, args []string) error {
		if err := prep(args); err != nil {
			return err
		}
		a.scheduled, a.pgVersion, a.timeout = scheduled(), version(), timeout()
		return s.runRestart(a)
	}
	return c
}

func reinitCommand(s *session) *cobra.Command {
	c := &cobra.Command{Use: "reinit [OPTIONS] CLUSTER_NAME [MEMBER_NAMES]...", Short: "Reinitialize cluster member",
		Args: minArgs("CLUSTER_NAME")}
	group := groupFlag(c)
	var a reinitArgs
	c.Flags().BoolVar(&a.force, "force", false, "Do not ask for confirmation at any point")
	c.Flags().BoolVar(&a.fromLeader, "from-leader", false, "Get basebackup from leader")
	c.Flags().BoolVar(&a.wait, "wait", false, "Wait until reinitialization completes")
	c.RunE = func(_ *cobra.Command, args []string) error {
		a.cluster, a.names, a.group = args[0], args[1:], group()
		return s.runReinit(a)
	}
	return c
}

func flushCommand(s *session) *cobra.Command {
	var a memberArgs
	c, prep := memberCommand("flush [OPTIONS] CLUSTER_NAME [MEMBER_NAMES]... {restart|switchover}",
		"Discard scheduled events", "Flush only members with this role", &a)
	c.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 1 {
			return &UsageError{Msg: "Missing argument '{restart|switchover}'. Choose from:\n\trestart,\n\tswitchover"}
		}
		return minArgs("CLUSTER_NAME")(cmd, args)
	}
	c.RunE = func(_ *cobra.Command, args []string) error {
		target := args[len(args)-1]
		if err := choice("'{restart|switchover}'", target, []string{"restart", "switchover"}); err != nil {
			return err
		}
		if err := prep(args[:len(args)-1]); err != nil {
			return err
		}
		return s.runFlush(a, target)
	}
	return c
}
