package pg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Binary names this package may run, as keys of Options.BinName.
const (
	BinPgCtl         = "pg_ctl"
	BinInitdb        = "initdb"
	BinPgControldata = "pg_controldata"
	BinPgBasebackup  = "pg_basebackup"
	BinPostgres      = "postgres"
	BinPgIsready     = "pg_isready"
	BinPgRewind      = "pg_rewind"
	BinPgWaldump     = "pg_waldump"
)

// MinMajor is the oldest PostgreSQL major version this package drives.
const MinMajor = 10

// Binaries resolves PostgreSQL executables from bin_dir and bin_name.
type Binaries struct {
	Dir   string            // "" → search PATH, then /usr/lib/postgresql/<newest>/bin
	Names map[string]string // overrides of the executable names
}

// DebianLibDir is where Debian-style packages install versioned binaries.
var DebianLibDir = "/usr/lib/postgresql"

// Path returns the absolute path of a binary or a clear error when missing.
func (b Binaries) Path(name string) (string, error) {
	exe := name
	if n := b.Names[name]; n != "" {
		exe = n
	}
	if b.Dir != "" {
		p := filepath.Join(b.Dir, exe)
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("%s: %w (bin_dir %q)", name, err, b.Dir)
		}
		return p, nil
	}
	if filepath.IsAbs(exe) {
		if err := checkExecutable(exe); err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		return exe, nil
	}
	if p, err := exec.LookPath(exe); err == nil {
		return p, nil
	}
	if dir := newestDebianBinDir(exe); dir != "" {
		return filepath.Join(dir, exe), nil
	}
	return "", fmt.Errorf("%s: executable %q not found in PATH nor in %s/<version>/bin; set postgresql.bin_dir",
		name, exe, DebianLibDir)
}

func checkExecutable(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("executable %s not found", p)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

// newestDebianBinDir returns the bin dir of the highest version that has exe.
func newestDebianBinDir(exe string) string {
	entries, err := os.ReadDir(DebianLibDir)
	if err != nil {
		return ""
	}
	var versions []float64
	byVer := map[float64]string{}
	for _, e := range entries {
		v, err := strconv.ParseFloat(e.Name(), 64)
		if err != nil {
			continue
		}
		dir := filepath.Join(DebianLibDir, e.Name(), "bin")
		if checkExecutable(filepath.Join(dir, exe)) == nil {
			versions = append(versions, v)
			byVer[v] = dir
		}
	}
	if len(versions) == 0 {
		return ""
	}
	sort.Float64s(versions)
	return byVer[versions[len(versions)-1]]
}

var versionRe = regexp.MustCompile(`\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?`)

// ParseVersionOutput parses `postgres --version` output into the major
// version (15, 16...) and the full version number (150004). For 9.x the major
// is reported as 9 with the second digit in the number (90600).
func ParseVersionOutput(out string) (major, num int, err error) {
	m := versionRe.FindStringSubmatch(out)
	if m == nil {
		return 0, 0, fmt.Errorf("cannot parse PostgreSQL version from %q", strings.TrimSpace(out))
	}
	a, _ := strconv.Atoi(m[1])
	b := 0
	if m[2] != "" {
		b, _ = strconv.Atoi(m[2])
	}
	if a >= 10 {
		return a, a*10000 + b, nil
	}
	return a, a*10000 + b*100, nil
}

// ServerVersion runs `postgres --version` and returns major and number.
func (b Binaries) ServerVersion(ctx context.Context) (major, num int, err error) {
	p, err := b.Path(BinPostgres)
	if err != nil {
		return 0, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, p, "--version").Output()
	if err != nil {
		return 0, 0, fmt.Errorf("%s --version: %w", p, err)
	}
	major, num, err = ParseVersionOutput(string(out))
	if err == nil && major < MinMajor {
		err = fmt.Errorf("PostgreSQL %d is not supported (need %d or newer)", major, MinMajor)
	}
	return major, num, err
}

// ErrNoDataDir reports a data directory without PG_VERSION.
var ErrNoDataDir = errors.New("data directory has no PG_VERSION")

// DataDirMajor reads PG_VERSION of a data directory ("15" → 15).
func DataDirMajor(dataDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "PG_VERSION"))
	if errors.Is(err, os.ErrNotExist) {
		return 0, ErrNoDataDir
	}
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("bad PG_VERSION %q in %s", strings.TrimSpace(string(b)), dataDir)
	}
	return v, nil
}
