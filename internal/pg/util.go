package pg

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func sortStrings(s []string) { sort.Strings(s) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// writeFileAtomic writes data to a temp file next to path and renames it, so
// a crash never leaves a half-written configuration file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	if err := tmp.Chmod(perm); werr == nil {
		werr = err
	}
	if err := tmp.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		os.Remove(name)
		return werr
	}
	return os.Rename(name, path)
}

// unquote strips one pair of matching surrounding quotes (Patroni's unquote
// of user options: '"bar baz"' → 'bar baz').
func unquote(v string) string {
	if len(v) >= 2 {
		q := v[0]
		if (q == '"' || q == '\'') && v[len(v)-1] == q && !strings.ContainsRune(v[1:len(v)-1], rune(q)) {
			return v[1 : len(v)-1]
		}
	}
	return v
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func fmtSQL(tpl string, args ...any) string { return fmt.Sprintf(tpl, args...) }

// splitArg splits "--name=value".
func splitArg(a string) (string, string) {
	k, v, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
	return k, v
}
