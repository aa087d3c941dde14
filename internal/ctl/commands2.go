package ctl

import (
	"github.com/spf13/cobra"
)

func failoverCommand(s *session) *cobra.Command {
	c := &cobra.Command{Use: "failover [OPTIONS] [CLUSTER_NAME]", Short: "Failover to a replica", Args: maxArgs(1)}
	group := groupFlag(c)
	candidate := optString(c, "candidate", "", "The name of the candidate")
	force := c.Flags().Bool("force", false, "Do not ask for confirmation at any point")
	c.RunE = func(_ *cobra.Command, args []string) error {
		name, err := s.scope(args)
		if err != nil {
			return err
		}
		return s.runSwitchover(switchoverArgs{action: "failover", cluster: name, group: group(),
			candidate: candidate(), force: *force})
	}
	return c
}

func switchoverCommand(s *session) *cobra.Command {
	c := &cobra.Command{Use: "switchover [OPTIONS] [CLUSTER_NAME]", Short: "Switchover to a replica", Args: maxArgs(1)}
	group := groupFlag(c)
	var leader string
	c.Flags().StringVar(&leader, "leader", "", "The name of the current leader")
	c.Flags().StringVar(&leader, "primary", "", "The name of the current leader")
	candidate := optString(c, "candidate", "", "The name of the candidate")
	scheduled := optString(c, "scheduled", "", "Timestamp of a scheduled switchover in unambiguous format (e.g. ISO 8601)")
	force := c.Flags().Bool("force", false, "Do not ask for confirmation at any point")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		name, err := s.scope(args)
		if err != nil {
			return err
		}
		a := switchoverArgs{action: "switchover", cluster: name, group: group(), candidate: candidate(),
			scheduled: scheduled(), force: *force}
		if cmd.Flags().Changed("leader") || cmd.Flags().Changed("primary") {
			a.leader = &leader
		}
		return s.runSwitchover(a)
	}
	return c
}

func pauseCommand(s *session) *cobra.Command  { return togglePauseCommand(s, "pause", true) }
func resumeCommand(s *session) *cobra.Command { return togglePauseCommand(s, "resume", false) }

func togglePauseCommand(s *session, name string, paused bool) *cobra.Command {
	short, waitHelp := "Disable auto failover", "Wait until pause is applied on all nodes"
	if !paused {
		short, waitHelp = "Resume auto failover", "Wait until pause is cleared on all nodes"
	}
	c := &cobra.Command{Use: name + " [OPTIONS] [CLUSTER_NAME]", Short: short, Args: maxArgs(1)}
	group := groupFlag(c)
	wait := c.Flags().Bool("wait", false, waitHelp)
	c.RunE = func(_ *cobra.Command, args []string) error {
		cl, err := s.scope(args)
		if err != nil {
			return err
		}
		return s.runTogglePause(cl, group(), paused, *wait)
	}
	return c
}

func versionCommand(s *session) *cobra.Command {
	c := &cobra.Command{Use: "version [OPTIONS] [CLUSTER_NAME] [MEMBER_NAMES]...",
		Short: "Output version of patronictl command or a running Patroni instance"}
	group := groupFlag(c)
	c.RunE = func(_ *cobra.Command, args []string) error { return s.runVersion(args, group()) }
	return c
}

func demoteClusterCommand(s *session) *cobra.Command {
	c := &cobra.Command{Use: "demote-cluster [OPTIONS] [CLUSTER_NAME]", Short: "Demote cluster to a standby cluster",
		Args: maxArgs(1)}
	force := c.Flags().Bool("force", false, "Do not ask for confirmation at any point")
	var a demoteArgs
	c.Flags().StringVar(&a.host, "host", "", "Address of the remote node")
	c.Flags().IntVar(&a.port, "port", 0, "Port of the remote node")
	c.Flags().StringVar(&a.restoreCommand, "restore-command", "", "Command to restore WAL records from the remote primary")
	c.Flags().StringVar(&a.slotName, "primary-slot-name", "", "Name of the slot on the remote node to use for replication")
	c.RunE = func(_ *cobra.Command, args []string) error {
		name, err := s.scope(args)
		if err != nil {
			return err
		}
		return s.runDemoteCluster(name, *force, a)
	}
	return c
}

func promoteClusterCommand(s *session) *cobra.Command {
	c := &cobra.Command{Use: "promote-cluster [OPTIONS] [CLUSTER_NAME]", Short: "Promote cluster, make it run standalone",
		Args: maxArgs(1)}
	force := c.Flags().Bool("force", false, "Do not ask for confirmation at any point")
	c.RunE = func(_ *cobra.Command, args []string) error {
		name, err := s.scope(args)
		if err != nil {
			return err
		}
		return s.changeClusterRole(name, *force, nil)
	}
	return c
}
