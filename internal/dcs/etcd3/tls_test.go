package etcd3_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"

	"github.com/patroni-go/patroni/internal/dcs/etcd3"
	"github.com/patroni-go/patroni/internal/testenv"
)

// TestTLS: protocol https with cacert/cert/key against an etcd that requires client
// certificates.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := writeCert(t, dir, "ca", nil, nil)
	writeCert(t, dir, "server", ca, caKey)
	writeCert(t, dir, "client", ca, caKey)
	addr := startTLSEtcd(t, dir)

	cfg := etcd3.Config{Host: addr, Protocol: "https", CACert: filepath.Join(dir, "ca.crt"),
		Cert: filepath.Join(dir, "client.crt"), Key: filepath.Join(dir, "client.key")}
	st := newStore(t, cfg, "a", fast)
	if ok, err := st.AttemptToAcquireLeader(t.Context()); !ok || err != nil {
		t.Fatalf("AttemptToAcquireLeader over TLS = %v, %v", ok, err)
	}
	if v, err := st.Load(t.Context()); err != nil || v.LeaderName() != "a" {
		t.Fatalf("Load over TLS: leader %q, %v", v.LeaderName(), err)
	}
	// Without a client certificate the server refuses us.
	cfg.Cert, cfg.Key = "", ""
	noCert := newStore(t, cfg, "b", fast)
	if _, err := noCert.Load(t.Context()); err == nil {
		t.Fatal("Load without a client certificate succeeded")
	}
}

func startTLSEtcd(t *testing.T, dir string) string {
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	client := url.URL{Scheme: "https", Host: addr}
	peer := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))}
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = "tls", filepath.Join(dir, "data")
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	cfg.TickMs, cfg.ElectionMs = 10, 100
	cfg.LogLevel, cfg.LogOutputs = "error", []string{filepath.Join(dir, "etcd.log")}
	cfg.ClientTLSInfo.CertFile = filepath.Join(dir, "server.crt")
	cfg.ClientTLSInfo.KeyFile = filepath.Join(dir, "server.key")
	cfg.ClientTLSInfo.TrustedCAFile = filepath.Join(dir, "ca.crt")
	cfg.ClientTLSInfo.ClientCertAuth = true
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatalf("start etcd with TLS: %v", err)
	}
	t.Cleanup(e.Close)
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		t.Fatal("etcd with TLS not ready")
	}
	return addr
}

// writeCert writes <name>.crt and <name>.key; a nil parent makes a self-signed CA.
func writeCert(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(file, typ string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, file), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(name+".crt", "CERTIFICATE", der)
	write(name+".key", "EC PRIVATE KEY", keyDER)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}
