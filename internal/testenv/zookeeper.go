package testenv

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Debian's zookeeper jar names its dependency jars in its manifest, so it is a whole class
// path, except for a logging backend: without one ZooKeeper says nothing, not even why it
// could not start. slf4j-simple comes with libslf4j-java, a dependency of the package.
const (
	defaultZooKeeperClasspath = "/usr/share/java/zookeeper.jar"
	slf4jSimpleJar            = "/usr/share/java/slf4j-simple.jar"
)

// ZooKeeper is a standalone ZooKeeper server (Debian's zookeeper package) run as a child
// process with java.
type ZooKeeper struct {
	external
	addr string
}

// StartZooKeeper starts a standalone ZooKeeper on a free loopback port with its data in
// t.TempDir(). Its tickTime is 100ms, so any session timeout from 200ms to 300s is granted
// as asked. The class path comes from env PATRONI_TEST_ZOOKEEPER_CLASSPATH, else Debian's jar.
func StartZooKeeper(t testing.TB) *ZooKeeper {
	t.Helper()
	java, classpath, why := zooKeeperCommand()
	if why != "" {
		Unavailable(t, "ZooKeeper is not available: %s", why)
	}
	var addr string
	p, err := startRetrying(func(ports []int) (*process, error) {
		addr = loopback(ports[0])
		return newZooKeeperProcess(t.TempDir(), java, classpath, ports[0])
	}, 1)
	if err != nil {
		t.Fatalf("testenv: start ZooKeeper: %v", err)
	}
	t.Cleanup(p.stop)
	logOnFailure(t, p.name, p.logPath)
	return &ZooKeeper{external: external{p}, addr: addr}
}

// zooKeeperCommand finds java and ZooKeeper's class path, or says what is missing.
func zooKeeperCommand() (java, classpath, why string) {
	java, err := exec.LookPath("java")
	if err != nil {
		return "", "", "no java on PATH (Debian: apt-get install default-jre-headless)"
	}
	classpath = os.Getenv("PATRONI_TEST_ZOOKEEPER_CLASSPATH")
	if classpath == "" {
		classpath = defaultZooKeeperClasspath
		if _, err := os.Stat(classpath); err != nil {
			return "", "", classpath + " is missing (Debian: apt-get install zookeeper)"
		}
		if _, err := os.Stat(slf4jSimpleJar); err == nil {
			classpath += ":" + slf4jSimpleJar
		}
	}
	return java, classpath, ""
}

func newZooKeeperProcess(dir, java, classpath string, port int) (*process, error) {
	cfgPath := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfgPath, []byte(zooConfig(dir, port)), 0o644); err != nil {
		return nil, err
	}
	addr := loopback(port)
	argv := []string{java,
		// A small client JVM starts in about half the time of the default server setup.
		"-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xms16m", "-Xmx256m",
		"-Djava.net.preferIPv4Stack=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
		"-cp", classpath, "org.apache.zookeeper.server.ZooKeeperServerMain", cfgPath}
	return &process{
		name:    "zookeeper",
		argv:    argv,
		logPath: filepath.Join(dir, "zookeeper.log"),
		ready:   func() error { return zooKeeperOK(addr) },
	}, nil
}

// zooConfig is a standalone server on loopback only. The admin server would listen on
// 0.0.0.0:8080; forceSync=no because the tests never lose power, only processes.
func zooConfig(dir string, port int) string {
	return fmt.Sprintf(`tickTime=100
minSessionTimeout=200
maxSessionTimeout=300000
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
maxClientCnxns=0
forceSync=no
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,stat,mntr
`, filepath.Join(dir, "data"), port)
}

// zooKeeperOK asks the four-letter "srvr", which answers with the version only once the
// server serves sessions ("ruok" says "imok" earlier, and a client connecting then is
// dropped and waits a second before it retries).
func zooKeeperOK(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("srvr")); err != nil {
		return err
	}
	answer, _ := io.ReadAll(io.LimitReader(conn, 4096))
	if !strings.HasPrefix(string(answer), "Zookeeper version:") {
		return fmt.Errorf("srvr answered %q", answer)
	}
	return nil
}

// Addr returns the client address, "127.0.0.1:port".
func (z *ZooKeeper) Addr() string { return z.addr }

// Servers returns the client addresses, as go-zookeeper's zk.Connect takes them.
func (z *ZooKeeper) Servers() []string { return []string{z.addr} }
