package tlsutil

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
)

// PKCS#8 encrypted keys (RFC 8018 PBES2 with PBKDF2), as `openssl pkcs8 -topk8` and
// `openssl genpkey -aes256` write them. The standard library does not decrypt them.

var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type encryptedPrivateKeyInfo struct {
	Algorithm     algorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KeyDerivationFunc algorithmIdentifier
	EncryptionScheme  algorithmIdentifier
}

type pbkdf2Params struct {
	Salt           []byte
	IterationCount int
	KeyLength      int                 `asn1:"optional"`
	PRF            algorithmIdentifier `asn1:"optional"`
}

func decryptPKCS8(der, password []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fmt.Errorf("parse encrypted PKCS#8: %w", err)
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("unsupported PKCS#8 encryption %v (only PBES2)", info.Algorithm.Algorithm)
	}
	var p pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &p); err != nil {
		return nil, fmt.Errorf("parse PBES2 parameters: %w", err)
	}
	block, iv, err := pbes2Cipher(p, password)
	if err != nil {
		return nil, err
	}
	data := info.EncryptedData
	if len(data) == 0 || len(data)%block.BlockSize() != 0 {
		return nil, errors.New("encrypted key has a bad length")
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	return unpad(out, block.BlockSize())
}

func pbes2Cipher(p pbes2Params, password []byte) (cipher.Block, []byte, error) {
	if !p.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		return nil, nil, fmt.Errorf("unsupported key derivation %v (only PBKDF2)", p.KeyDerivationFunc.Algorithm)
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(p.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil {
		return nil, nil, fmt.Errorf("parse PBKDF2 parameters: %w", err)
	}
	prf, err := prfHash(kdf.PRF.Algorithm)
	if err != nil {
		return nil, nil, err
	}
	keyLen, newCipher, err := schemeCipher(p.EncryptionScheme.Algorithm)
	if err != nil {
		return nil, nil, err
	}
	var iv []byte
	if _, err := asn1.Unmarshal(p.EncryptionScheme.Parameters.FullBytes, &iv); err != nil {
		return nil, nil, fmt.Errorf("parse cipher IV: %w", err)
	}
	key, err := pbkdf2.Key(prf, string(password), kdf.Salt, kdf.IterationCount, keyLen)
	if err != nil {
		return nil, nil, err
	}
	block, err := newCipher(key)
	if err != nil {
		return nil, nil, err
	}
	if len(iv) != block.BlockSize() {
		return nil, nil, errors.New("cipher IV has a bad length")
	}
	return block, iv, nil
}

func prfHash(oid asn1.ObjectIdentifier) (func() hash.Hash, error) {
	switch {
	case len(oid) == 0 || oid.Equal(oidHMACSHA1):
		return sha1.New, nil
	case oid.Equal(oidHMACSHA256):
		return sha256.New, nil
	case oid.Equal(oidHMACSHA512):
		return sha512.New, nil
	}
	return nil, fmt.Errorf("unsupported PBKDF2 hash %v", oid)
}

func schemeCipher(oid asn1.ObjectIdentifier) (int, func([]byte) (cipher.Block, error), error) {
	switch {
	case oid.Equal(oidAES128CBC):
		return 16, aes.NewCipher, nil
	case oid.Equal(oidAES192CBC):
		return 24, aes.NewCipher, nil
	case oid.Equal(oidAES256CBC):
		return 32, aes.NewCipher, nil
	case oid.Equal(oidDESEDE3CBC):
		return 24, des.NewTripleDESCipher, nil
	}
	return 0, nil, fmt.Errorf("unsupported key cipher %v", oid)
}

// unpad strips PKCS#7 padding; a wrong password almost always shows up here.
func unpad(b []byte, size int) ([]byte, error) {
	n := int(b[len(b)-1])
	if n == 0 || n > size || n > len(b) {
		return nil, errors.New("wrong keyfile_password or corrupt key")
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, errors.New("wrong keyfile_password or corrupt key")
		}
	}
	return b[:len(b)-n], nil
}
