package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	// clusterName is the kubeconfig cluster entry; the contexts are named
	// after the users.
	clusterName = "kfp-test"
	// adminUser sets the cluster up and is the kubeconfig's current context.
	adminUser = "admin"
)

// user is one identity of the test cluster. Its bearer token is random per
// run, so a kubeconfig from an earlier run never works against a new server.
type user struct {
	name   string
	groups []string
}

// users of the test cluster. admin bypasses authorization through
// system:masters and sets the cluster up; the others only get what rbac.go
// grants them. The token authenticator adds system:authenticated by itself;
// it is listed to make the group membership obvious in the token file.
var users = []user{
	{name: adminUser, groups: []string{"system:masters", "system:authenticated"}},
	{name: "editor", groups: []string{"system:authenticated"}},
	{name: "viewer", groups: []string{"system:authenticated"}},
	{name: "outsider", groups: []string{"system:authenticated"}},
}

// controllerManagerUser runs the garbage collector (controllermanager.go). It
// has a token but no context in the published kubeconfig: tests never act as it.
var controllerManagerUser = user{name: "system:kube-controller-manager", groups: []string{"system:masters", "system:authenticated"}}

// credentials is the key material of one run, generated at start and written
// as files for kube-apiserver's flags.
type credentials struct {
	caCertPEM []byte

	servingCertFile       string
	servingKeyFile        string
	serviceAccountKeyFile string
	tokenFile             string

	tokens map[string]string // user name -> bearer token
}

// generateCredentials makes a CA, a serving certificate for 127.0.0.1 and
// localhost signed by it, a service-account signing key and a token per user,
// all written to dir. ECDSA P-256 keeps key generation to milliseconds.
func generateCredentials(dir string) (*credentials, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTemplate := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "kfp-control-plane CA"},
		NotBefore:             now.Add(-time.Hour), // tolerate small clock skew
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caCertPEM, caCert, err := signCertificate(caTemplate, caTemplate, caKey.Public(), caKey)
	if err != nil {
		return nil, err
	}

	servingKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	servingCertPEM, _, err := signCertificate(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "kfp-control-plane"},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.AddDate(1, 0, 0),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}, caCert, servingKey.Public(), caKey)
	if err != nil {
		return nil, err
	}

	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}

	creds := &credentials{
		caCertPEM:             caCertPEM,
		servingCertFile:       filepath.Join(dir, "serving.crt"),
		servingKeyFile:        filepath.Join(dir, "serving.key"),
		serviceAccountKeyFile: filepath.Join(dir, "service-account.key"),
		tokenFile:             filepath.Join(dir, "tokens.csv"),
		tokens:                map[string]string{},
	}
	// The token file is CSV: token,user,uid,"group1,group2".
	var tokenCSV strings.Builder
	for _, u := range append(append([]user{}, users...), controllerManagerUser) {
		token, err := randomToken()
		if err != nil {
			return nil, err
		}
		creds.tokens[u.name] = token
		fmt.Fprintf(&tokenCSV, "%s,%s,%s,\"%s\"\n", token, u.name, u.name, strings.Join(u.groups, ","))
	}

	servingKeyPEM, err := ecKeyPEM(servingKey)
	if err != nil {
		return nil, err
	}
	saKeyPEM, err := ecKeyPEM(saKey)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		creds.servingCertFile: servingCertPEM,
		creds.servingKeyFile:  servingKeyPEM,
		// kube-apiserver derives the verification key from the private key,
		// so one file serves both --service-account-key-file and
		// --service-account-signing-key-file.
		creds.serviceAccountKeyFile: saKeyPEM,
		creds.tokenFile:             []byte(tokenCSV.String()),
	}
	for path, data := range files {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, err
		}
	}
	return creds, nil
}

func signCertificate(template, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) ([]byte, *x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	template.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, template, parent, pub, signer)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), cert, nil
}

func ecKeyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// restConfig is a client configuration for one user.
func (c *credentials) restConfig(serverURL, userName string) *rest.Config {
	return &rest.Config{
		Host:            serverURL,
		BearerToken:     c.tokens[userName],
		TLSClientConfig: rest.TLSClientConfig{CAData: c.caCertPEM},
		UserAgent:       "kfp-control-plane",
		// Set-up issues a few dozen requests; the default client-side rate
		// limit (5 QPS) would make it wait for nothing.
		QPS:   100,
		Burst: 200,
	}
}

// kubeconfig has one context per user, named after it, without a default
// namespace, so that tests always say which namespace they mean.
func (c *credentials) kubeconfig(serverURL string) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[clusterName] = &clientcmdapi.Cluster{
		Server:                   serverURL,
		CertificateAuthorityData: c.caCertPEM,
	}
	for _, u := range users {
		cfg.AuthInfos[u.name] = &clientcmdapi.AuthInfo{Token: c.tokens[u.name]}
		cfg.Contexts[u.name] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: u.name}
	}
	cfg.CurrentContext = adminUser
	return clientcmd.Write(*cfg)
}
