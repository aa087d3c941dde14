package zookeeper

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// tlsConfig builds the client TLS settings the way kazoo does for Patroni: the server's
// chain is verified against cacert (or the system roots) unless verify is false; the
// host name is NOT compared with the certificate (kazoo's context leaves check_hostname
// off), so certificates that work with Patroni work here. cert/key is the client
// certificate; key_password decrypts a legacy encrypted PEM key.
func (c Config) tlsConfig() (*tls.Config, error) {
	if !c.UseSSL {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CACert != "" {
		pool := x509.NewCertPool()
		pemBytes, err := os.ReadFile(c.CACert)
		if err != nil {
			return nil, fmt.Errorf("zookeeper.cacert: %w", err)
		}
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("zookeeper.cacert: no PEM certificate in %s", c.CACert)
		}
		cfg.RootCAs = pool
	}
	if c.Cert != "" && c.Key != "" { // kazoo ignores one without the other
		cert, err := c.clientCertificate()
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	// Go verifies the host name whenever it verifies at all; verify the chain ourselves.
	cfg.InsecureSkipVerify = true
	if c.Verify == nil || *c.Verify {
		roots := cfg.RootCAs
		cfg.VerifyConnection = func(cs tls.ConnectionState) error { return verifyChain(cs, roots) }
	}
	return cfg, nil
}

func verifyChain(cs tls.ConnectionState, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("zookeeper: the server sent no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
	if err != nil {
		return fmt.Errorf("zookeeper: server certificate: %w", err)
	}
	return nil
}

// clientCertificate loads the client certificate and its key.
func (c Config) clientCertificate() (tls.Certificate, error) {
	certFile, keyFile := c.Cert, c.Key
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("zookeeper.cert: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("zookeeper.key: %w", err)
	}
	if c.KeyPassword != "" {
		if keyPEM, err = decryptKey(keyPEM, c.KeyPassword); err != nil {
			return tls.Certificate{}, fmt.Errorf("zookeeper.key: %w", err)
		}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("zookeeper.cert/key: %w", err)
	}
	return cert, nil
}

// decryptKey decrypts the first private key block of a PEM file encrypted the legacy
// OpenSSL way ("Proc-Type: 4,ENCRYPTED"). PKCS#8 "ENCRYPTED PRIVATE KEY" blocks are not
// supported by Go's standard library; such keys must be decrypted beforehand.
func decryptKey(data []byte, password string) ([]byte, error) {
	for len(data) > 0 {
		block, rest := pem.Decode(data)
		if block == nil {
			break
		}
		data = rest
		switch {
		case block.Type == "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("PKCS#8 encrypted keys are not supported; decrypt the key (openssl pkey) or use a legacy PEM encryption")
		//nolint:staticcheck // legacy PEM encryption is what key_password protects
		case x509.IsEncryptedPEMBlock(block):
			der, err := x509.DecryptPEMBlock(block, []byte(password)) //nolint:staticcheck
			if err != nil {
				return nil, fmt.Errorf("decrypt with key_password: %w", err)
			}
			return pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der}), nil
		case block.Type == "PRIVATE KEY" || block.Type == "RSA PRIVATE KEY" || block.Type == "EC PRIVATE KEY":
			return pem.EncodeToMemory(block), nil // not encrypted: the password is unused
		}
	}
	return nil, errors.New("no private key found")
}
