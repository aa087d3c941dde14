package config

import (
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// RunValidate is `patroni --validate-config [configfile]`: it loads the
// configuration like the daemon would, prints every problem to stderr and
// returns the process exit code (0 when valid, 1 otherwise). With
// printConfig the local configuration is written to stdout as YAML.
func RunValidate(path string, environ []string, opts ValidateOptions, printConfig bool, stdout, stderr io.Writer) int {
	raw, _, _, err := LoadRaw(path, environ)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	problems := ValidateWith(raw, opts)
	for _, p := range problems {
		fmt.Fprintln(stderr, p)
	}
	if len(problems) > 0 {
		return 1
	}
	if printConfig {
		out, err := yaml.Marshal(raw)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		stdout.Write(out)
	}
	return 0
}
