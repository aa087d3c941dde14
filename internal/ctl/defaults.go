package ctl

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"time"
)

// Defaults returns the real clock, sleep, process runner, PATH lookup and
// random source; the caller adds stdio, the DCS and the REST client.
func Defaults() Env {
	return Env{
		Now:      time.Now,
		Sleep:    sleepCtx,
		Run:      runProgram,
		LookPath: exec.LookPath,
		RandIntn: rand.IntN,
		Connect:  PgxConnect,
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func runProgram(ctx context.Context, stdin io.Reader, name string, args ...string) (int, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 0, err
	}
	return 0, nil
}
