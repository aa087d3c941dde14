package ctl

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// lineReader reads answers to prompts one line at a time.
type lineReader struct {
	r *bufio.Reader
}

func (l *lineReader) readLine() (string, error) {
	line, err := l.r.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", errAbort
	}
	return strings.TrimRight(strings.TrimSuffix(line, "\n"), "\r"), nil
}

// prompt asks like click.prompt(text, default=def): "text [def]: ". An empty
// answer takes the default; without a default (hasDef false) it asks again.
// As with click reading a pipe, the answer is not echoed.
func (s *session) prompt(text string, def string, hasDef bool) (string, error) {
	p := text
	if hasDef {
		p = fmt.Sprintf("%s [%s]", text, def)
	}
	p += ": "
	for {
		fmt.Fprint(s.env.Stdout, p)
		v, err := s.in.readLine()
		if err != nil {
			return "", err
		}
		if v != "" {
			return v, nil
		}
		if hasDef {
			return def, nil
		}
	}
}

// confirm asks like click.confirm(text): "text [y/N]: ", default no.
func (s *session) confirm(text string) (bool, error) {
	for {
		fmt.Fprintf(s.env.Stdout, "%s [y/N]: ", text)
		v, err := s.in.readLine()
		if err != nil {
			return false, err
		}
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "y", "yes":
			return true, nil
		case "n", "no", "":
			return false, nil
		}
		fmt.Fprintln(s.env.Stderr, "Error: invalid input")
	}
}
