package api

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/api/client"
)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	dir  string
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, dir: t.TempDir()}
	writePEM(t, filepath.Join(ca.dir, "ca.pem"), "CERTIFICATE", der)
	return ca
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// issue writes <name>.pem and <name>.key signed by the CA and returns their paths.
func (ca *testCA) issue(t *testing.T, name string, serial int64, usage x509.ExtKeyUsage) (string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	cp, kp := filepath.Join(ca.dir, name+".pem"), filepath.Join(ca.dir, name+".key")
	writePEM(t, cp, "CERTIFICATE", der)
	writePEM(t, kp, "PRIVATE KEY", kder)
	return cp, kp
}

func startServer(t *testing.T, cfg Config, snap *Snapshot) (*Server, string) {
	t.Helper()
	pub := &Publisher{}
	pub.Publish(snap)
	cfg.Listen = "127.0.0.1:0"
	srv, err := New(cfg, Options{Publisher: pub, Node: &fakeNode{}, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return srv, ln.Addr().String()
}

func TestTLSClientCertificates(t *testing.T) {
	ca := newTestCA(t)
	scert, skey := ca.issue(t, "server", 10, x509.ExtKeyUsageServerAuth)
	ccert, ckey := ca.issue(t, "client", 11, x509.ExtKeyUsageClientAuth)
	cafile := filepath.Join(ca.dir, "ca.pem")
	ctx := context.Background()

	_, addr := startServer(t, Config{CertFile: scert, KeyFile: skey, CAFile: cafile, VerifyClient: "required",
		HTTPSExtraHeaders: map[string]string{"Strict-Transport-Security": "max-age=1"}}, primarySnap())
	api := "https://" + addr + "/patroni"
	withCert, err := client.New(client.Options{CACert: cafile, CertFile: ccert, KeyFile: ckey})
	if err != nil {
		t.Fatal(err)
	}
	st, err := withCert.GetStatus(ctx, api)
	if err != nil || !st.Reachable() || st.Patroni.Name != "node1" {
		t.Fatalf("GetStatus over mTLS = %+v, %v", st, err)
	}
	resp, err := withCert.Reload(ctx, api)
	if err != nil || resp.StatusCode != 202 || resp.Header.Get("Strict-Transport-Security") != "max-age=1" {
		t.Fatalf("POST /reload over mTLS = %+v, %v", resp, err)
	}
	noCert, _ := client.New(client.Options{CACert: cafile})
	if _, err := noCert.GetStatus(ctx, api); err == nil {
		t.Error("verify_client required accepted a client without certificate")
	}
	// Peers: insecure + client cert verifies the chain but not the host name.
	peer, _ := client.New(client.Options{CACert: cafile, CertFile: ccert, KeyFile: ckey, Insecure: true})
	if _, err := peer.GetStatus(ctx, "https://localhost:"+strings.Split(addr, ":")[1]+"/patroni"); err != nil {
		t.Errorf("peer without host name check: %v", err)
	}

	_, addr = startServer(t, Config{CertFile: scert, KeyFile: skey, CAFile: cafile, VerifyClient: "optional"}, primarySnap())
	api = "https://" + addr + "/patroni"
	if _, err := noCert.GetStatus(ctx, api); err != nil {
		t.Errorf("verify_client optional refused a GET without certificate: %v", err)
	}
	resp, err = noCert.Reload(ctx, api)
	if err != nil || resp.StatusCode != 403 || resp.Text() != "client certificate required" {
		t.Errorf("unsafe POST without certificate = %+v, %v", resp, err)
	}
	if resp, err := withCert.Reload(ctx, api); err != nil || resp.StatusCode != 202 {
		t.Errorf("unsafe POST with certificate = %+v, %v", resp, err)
	}
}

func serverSerial(t *testing.T, addr string) int64 {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

func TestReloadTLS(t *testing.T) {
	ca := newTestCA(t)
	scert, skey := ca.issue(t, "server", 20, x509.ExtKeyUsageServerAuth)
	srv, addr := startServer(t, Config{CertFile: scert, KeyFile: skey}, primarySnap())
	if got := serverSerial(t, addr); got != 20 {
		t.Fatalf("serial %d", got)
	}
	ca.issue(t, "server", 21, x509.ExtKeyUsageServerAuth)
	if err := srv.ReloadTLS(); err != nil {
		t.Fatal(err)
	}
	if got := serverSerial(t, addr); got != 21 {
		t.Errorf("after ReloadTLS serial %d, want 21", got)
	}
	if err := os.WriteFile(scert, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := srv.ReloadTLS(); err == nil {
		t.Error("ReloadTLS accepted a broken certificate")
	}
	if got := serverSerial(t, addr); got != 21 {
		t.Errorf("a failed reload replaced the certificate: serial %d", got)
	}
}

func TestEncryptedKeyfile(t *testing.T) {
	ca := newTestCA(t)
	scert, skey := ca.issue(t, "server", 30, x509.ExtKeyUsageServerAuth)
	raw, _ := os.ReadFile(skey)
	block, _ := pem.Decode(raw)
	//lint:ignore SA1019 testing the legacy format openssl still writes
	enc, err := x509.EncryptPEMBlock(rand.Reader, "PRIVATE KEY", block.Bytes, []byte("secret"), x509.PEMCipherAES256) //nolint:staticcheck
	if err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(skey, pem.EncodeToMemory(enc), 0o600)
	if _, err := New(Config{CertFile: scert, KeyFile: skey}, Options{Publisher: &Publisher{}}); err == nil {
		t.Error("encrypted key loaded without password")
	}
	if _, err := New(Config{CertFile: scert, KeyFile: skey, KeyFilePassword: "secret"}, Options{Publisher: &Publisher{}}); err != nil {
		t.Errorf("encrypted key with password: %v", err)
	}
}

// HAProxy's `option httpchk` sends HTTP/1.0 and reads the status line only.
func TestHTTP10Clients(t *testing.T) {
	_, addr := startServer(t, Config{}, primarySnap())
	raw := func(req string) string {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.WriteString(conn, req)
		data, err := io.ReadAll(conn) // the server must close the connection
		if err != nil {
			t.Fatalf("%q: %v", req, err)
		}
		return string(data)
	}
	if got := raw("OPTIONS / HTTP/1.0\r\n\r\n"); got != "HTTP/1.0 200 OK\r\n\r\n" {
		t.Errorf("OPTIONS / = %q", got)
	}
	if got := raw("HEAD /replica HTTP/1.0\r\n\r\n"); got != "HTTP/1.0 503 Service Unavailable\r\n\r\n" {
		t.Errorf("HEAD /replica = %q", got)
	}
	if got := raw("GET /liveness HTTP/1.1\r\nHost: x\r\n\r\n"); got != "HTTP/1.0 200 OK\r\n\r\n" {
		t.Errorf("GET /liveness = %q", got)
	}
	got := raw("GET /primary HTTP/1.0\r\n\r\n")
	resp, err := readResponse(got)
	if err != nil || !strings.HasPrefix(got, "HTTP/1.0 200 OK\r\n") || !strings.Contains(resp, `"role": "primary"`) {
		t.Errorf("GET /primary over HTTP/1.0 = %q (%v)", got, err)
	}
}

func readResponse(s string) (string, error) {
	r := bufio.NewReader(strings.NewReader(s))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		if line == "\r\n" {
			rest, err := io.ReadAll(r)
			return string(rest), err
		}
	}
}
