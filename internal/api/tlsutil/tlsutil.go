// Package tlsutil loads the certificates and keys Patroni's configuration names
// (restapi.certfile/keyfile/keyfile_password/cafile, ctl.certfile/keyfile/cacert), for
// both the REST server and its clients.
package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// LoadKeyPair reads a certificate chain and its private key. keyFile "" means the key is
// in certFile (Patroni allows one PEM holding both). A non-empty password decrypts an
// encrypted key: legacy "Proc-Type: 4,ENCRYPTED" PEM or PKCS#8 "ENCRYPTED PRIVATE KEY".
func LoadKeyPair(certFile, keyFile, password string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("read certfile: %w", err)
	}
	keyPEM := certPEM
	if keyFile != "" {
		if keyPEM, err = os.ReadFile(keyFile); err != nil {
			return tls.Certificate{}, fmt.Errorf("read keyfile: %w", err)
		}
	}
	keyPEM, err = decryptKey(keyPEM, password)
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("load key pair %s: %w", certFile, err)
	}
	return cert, nil
}

// decryptKey returns the PEM with its private key block decrypted (or unchanged when the
// key is not encrypted).
func decryptKey(data []byte, password string) ([]byte, error) {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return data, nil
		}
		switch {
		case block.Type == "ENCRYPTED PRIVATE KEY":
			if password == "" {
				return nil, errors.New("keyfile is encrypted but no keyfile_password is configured")
			}
			der, err := decryptPKCS8(block.Bytes, []byte(password))
			if err != nil {
				return nil, fmt.Errorf("decrypt keyfile: %w", err)
			}
			return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
		case isLegacyEncrypted(block):
			if password == "" {
				return nil, errors.New("keyfile is encrypted but no keyfile_password is configured")
			}
			//lint:ignore SA1019 legacy encrypted PEM keys are what openssl -des3/-aes256 writes
			der, err := x509.DecryptPEMBlock(block, []byte(password)) //nolint:staticcheck
			if err != nil {
				return nil, fmt.Errorf("decrypt keyfile: %w", err)
			}
			return pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der}), nil
		}
	}
}

func isLegacyEncrypted(b *pem.Block) bool {
	_, ok := b.Headers["DEK-Info"]
	return ok
}

// LoadCAPool reads a PEM bundle of CA certificates.
func LoadCAPool(caFile string) (*x509.CertPool, error) {
	data, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read cafile: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("cafile %s holds no PEM certificate", caFile)
	}
	return pool, nil
}
