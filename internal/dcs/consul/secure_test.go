package consul_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patroni-go/patroni/internal/dcs"
	"github.com/patroni-go/patroni/internal/dcs/consul"
)

// TestACL: against an agent with ACLs on (default deny), a store without a token gets
// a clear permission error at once (no retrying until retry_timeout), which the HA loop
// treats as "DCS not accessible"; with the management token everything works.
func TestACL(t *testing.T) {
	t.Parallel()
	const token = "0e8ba5a4-5b32-4b3c-a4fb-5f3a3a7b3d11"
	a := startAgent(t, map[string]any{"acl": map[string]any{
		"enabled": true, "default_policy": "deny",
		"tokens": map[string]any{"initial_management": token, "agent": token},
	}}, token)
	ctx := t.Context()
	anon := open(t, consul.Config{Host: a.httpAddr}, "batman", "a", fast)
	checkDenied := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, consul.ErrPermissionDenied) || !errors.Is(err, dcs.ErrUnreachable) ||
			!strings.Contains(err.Error(), "consul.token") {
			t.Fatalf("%s without a token: %v; want a permission error naming consul.token", what, err)
		}
	}
	start := time.Now()
	_, err := anon.AttemptToAcquireLeader(ctx)
	checkDenied("AttemptToAcquireLeader", err)
	_, err = anon.SetConfig(ctx, []byte(`{}`), dcs.NoVersion)
	checkDenied("SetConfig", err)
	_, err = anon.TouchMember(ctx, replica(5432))
	checkDenied("TouchMember", err)
	if took := time.Since(start); took > fast.RetryTimeout {
		t.Errorf("three refused calls took %v: a 403 must not be retried", took)
	}
	st := open(t, consul.Config{Host: a.httpAddr, Token: token}, "batman", "a", fast)
	mustOK(t, "AttemptToAcquireLeader with the token")(st.AttemptToAcquireLeader(ctx))
	mustOK(t, "TouchMember with the token")(st.TouchMember(ctx, replica(5432)))
	if v, err := st.Load(ctx); err != nil || v.LeaderName() != "a" || v.Member("a") == nil {
		t.Fatalf("Load with the token: %+v, %v", v, err)
	}
	// Consul hides keys a token may not read; a view with holes must not pass for the
	// cluster (it would look unlocked or empty).
	_, err = anon.Load(ctx)
	checkDenied("Load", err)
}

// TestTLS: scheme https with cacert/cert/key against an agent whose HTTPS API requires
// client certificates; without a client certificate the agent refuses us, and with
// verify off but no cacert the server certificate is not checked.
func TestTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, caKey := writeCert(t, dir, "ca", nil, nil)
	writeCert(t, dir, "server", ca, caKey)
	writeCert(t, dir, "client", ca, caKey)
	a := startAgent(t, map[string]any{"tls": map[string]any{
		"defaults": map[string]any{"ca_file": filepath.Join(dir, "ca.crt"),
			"cert_file": filepath.Join(dir, "server.crt"), "key_file": filepath.Join(dir, "server.key")},
		"https": map[string]any{"verify_incoming": true},
	}}, "")
	cfg := consul.Config{URL: "https://" + a.httpsAddr, CACert: filepath.Join(dir, "ca.crt"),
		Cert: filepath.Join(dir, "client.crt"), Key: filepath.Join(dir, "client.key")}
	st := open(t, cfg, "batman", "a", fast)
	ctx := t.Context()
	mustOK(t, "AttemptToAcquireLeader over TLS")(st.AttemptToAcquireLeader(ctx))
	if v, err := st.Load(ctx); err != nil || v.LeaderName() != "a" {
		t.Fatalf("Load over TLS: %+v, %v", v, err)
	}
	noCert := cfg
	noCert.Cert, noCert.Key = "", ""
	if _, err := open(t, noCert, "batman", "b", fast).Load(ctx); !errors.Is(err, dcs.ErrUnreachable) {
		t.Fatalf("Load without a client certificate: %v; want ErrUnreachable", err)
	}
	no := false
	insecure := consul.Config{Host: a.httpsAddr, Scheme: "https", Verify: &no,
		Cert: filepath.Join(dir, "client.crt"), Key: filepath.Join(dir, "client.key")}
	if _, err := open(t, insecure, "batman", "c", fast).Load(ctx); err != nil {
		t.Fatalf("Load with verify off: %v", err)
	}
	insecure.Verify = nil
	if _, err := open(t, insecure, "batman", "c", fast).Load(ctx); err == nil {
		t.Fatal("Load verifying an unknown CA succeeded")
	}
}

// writeCert writes <name>.crt and <name>.key; a nil parent makes a self-signed CA.
func writeCert(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
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
	for file, block := range map[string]*pem.Block{
		name + ".crt": {Type: "CERTIFICATE", Bytes: der}, name + ".key": {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, file), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}
