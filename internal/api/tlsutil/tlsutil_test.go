package tlsutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// openssl writes PKCS#8 PBES2 keys (the default of `openssl pkcs8 -topk8`); decrypt
// them as Python's ssl module does. Skipped where openssl is not installed.
func TestPKCS8EncryptedKey(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	key, enc, crt := filepath.Join(dir, "k.pem"), filepath.Join(dir, "enc.pem"), filepath.Join(dir, "c.pem")
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key)
	run("req", "-new", "-x509", "-key", key, "-subj", "/CN=t", "-days", "1", "-out", crt)
	for _, cipher := range []string{"aes256", "aes128", "des3"} {
		run("pkcs8", "-topk8", "-v2", cipher, "-in", key, "-out", enc, "-passout", "pass:secret")
		if _, err := LoadKeyPair(crt, enc, "secret"); err != nil {
			t.Errorf("%s: %v", cipher, err)
		}
		if _, err := LoadKeyPair(crt, enc, "wrong"); err == nil {
			t.Errorf("%s: wrong password accepted", cipher)
		}
		if _, err := LoadKeyPair(crt, enc, ""); err == nil {
			t.Errorf("%s: no password accepted", cipher)
		}
	}
	if _, err := LoadKeyPair(crt, key, ""); err != nil {
		t.Errorf("plain key: %v", err)
	}
	both := filepath.Join(dir, "both.pem")
	c, _ := os.ReadFile(crt)
	k, _ := os.ReadFile(key)
	_ = os.WriteFile(both, append(c, k...), 0o600)
	if _, err := LoadKeyPair(both, "", ""); err != nil {
		t.Errorf("cert and key in one file: %v", err)
	}
}
