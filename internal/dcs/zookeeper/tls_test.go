package zookeeper_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/dcs"
	"github.com/patroni-go/patroni/internal/dcs/zookeeper"
)

// pki is a throw-away CA with a server and a client certificate, written as PEM files.
type pki struct {
	dir        string
	ca         *x509.Certificate
	caKey      *ecdsa.PrivateKey
	serverCert tls.Certificate
}

func newPKI(t *testing.T, name string) *pki {
	t.Helper()
	key := try(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)).must(t, "key")
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der := try(x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)).must(t, "ca")
	p := &pki{dir: t.TempDir(), ca: try(x509.ParseCertificate(der)).must(t, "parse ca"), caKey: key}
	p.write(t, "ca.pem", "CERTIFICATE", der)
	// The server certificate names no host: kazoo does not check host names, nor do we.
	certDER, srvKey := p.issue(t, "zookeeper", x509.ExtKeyUsageServerAuth)
	p.serverCert = tls.Certificate{Certificate: [][]byte{certDER}, PrivateKey: srvKey}
	return p
}

func (p *pki) issue(t *testing.T, cn string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key := try(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)).must(t, "key")
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	return try(x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)).must(t, "issue"), key
}

func (p *pki) write(t *testing.T, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// clientFiles writes a client certificate and its key, encrypted with password if set.
func (p *pki) clientFiles(t *testing.T, password string) (certFile, keyFile string) {
	t.Helper()
	der, key := p.issue(t, "patroni", x509.ExtKeyUsageClientAuth)
	certFile = p.write(t, "client.pem", "CERTIFICATE", der)
	keyDER := try(x509.MarshalECPrivateKey(key)).must(t, "marshal key")
	block := &pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}
	if password != "" {
		//nolint:staticcheck // the legacy PEM encryption key_password is for
		block = try(x509.EncryptPEMBlock(rand.Reader, block.Type, keyDER, []byte(password), x509.PEMCipherAES256)).must(t, "encrypt")
	}
	keyFile = filepath.Join(p.dir, "client.key")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// tlsProxy terminates TLS (client certificate required) in front of the plain server,
// standing in for ZooKeeper's secureClientPort.
func tlsProxy(t *testing.T, p *pki, backend string) string {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(p.ca)
	cfg := &tls.Config{Certificates: []tls.Certificate{p.serverCert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	ln := try(tls.Listen("tcp", "127.0.0.1:0", cfg)).must(t, "listen")
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { pipe(c, backend) })
		}
	})
	return ln.Addr().String()
}

func pipe(c net.Conn, backend string) {
	defer c.Close()
	b, err := net.Dial("tcp", backend)
	if err != nil {
		return
	}
	defer b.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(b, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, b); done <- struct{}{} }()
	<-done
}

func testTLS(t *testing.T, e env) {
	p := newPKI(t, "test CA")
	addr := tlsProxy(t, p, e.z.Addr())
	certFile, keyFile := p.clientFiles(t, "s3cret")
	cfg := zookeeper.Config{Hosts: []string{addr}, UseSSL: true, CACert: filepath.Join(p.dir, "ca.pem"),
		Cert: certFile, Key: keyFile, KeyPassword: "s3cret"}
	a := e.open(t, cfg, "tls", "a")
	ctx := t.Context()
	expect(t, "acquire over TLS", true)(a.AttemptToAcquireLeader(ctx))

	other := newPKI(t, "another CA") // the server's chain does not lead to this CA
	wrong := cfg
	wrong.CACert = filepath.Join(other.dir, "ca.pem")
	b := e.open(t, wrong, "tls", "b")
	if _, err := b.Load(ctx); !errors.Is(err, dcs.ErrUnreachable) {
		t.Fatalf("Load trusting another CA: %v, want ErrUnreachable", err)
	}
	off := false
	wrong.Verify = &off
	c := e.open(t, wrong, "tls", "c")
	if v, err := c.Load(ctx); err != nil || v.LeaderName() != "a" {
		t.Fatalf("Load with verify off: %v, %v", v, err)
	}
	bad := cfg
	bad.KeyPassword = "wrong"
	if _, err := zookeeper.New(bad, dcs.Identity{Scope: "tls", Name: "d"}, fast, testLogger()); err == nil {
		t.Fatal("New accepted a wrong key_password")
	}
}

// freeze stops the process (SIGSTOP) until the returned thaw is called (once is enough).
func freeze(t *testing.T, pid int) (thaw func()) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// The signal is asynchronous: wait until the kernel reports the process stopped.
	for deadline := time.Now().Add(5 * time.Second); !stopped(pid); {
		if time.Now().After(deadline) {
			t.Fatalf("process %d did not stop", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var once sync.Once
	return func() { once.Do(func() { _ = syscall.Kill(pid, syscall.SIGCONT) }) }
}

// stopped reads the state field of /proc/PID/stat ("T" when stopped by a signal).
func stopped(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && i+2 < len(b) && b[i+2] == 'T'
}
