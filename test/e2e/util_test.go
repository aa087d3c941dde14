package e2e

import (
	"context"
	"os/exec"

	"github.com/jackc/pgx/v5"

	"github.com/patroni-go/patroni/internal/devcluster"
)

func pgxConnect(ctx context.Context, n *devcluster.Node) (*pgx.Conn, error) {
	return pgx.Connect(ctx, n.DSN())
}

func execCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, name, args...)
}
