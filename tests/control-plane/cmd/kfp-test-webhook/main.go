// Command kfp-test-webhook is a small admission webhook for the kubectl-kfp
// end-to-end tests of `kubectl kfp doctor`. It mimics what KFP's PipelineVersion
// webhook (kubeflow/pipelines backend/src/crd/kubernetes/v2beta1) does:
//
//   - /mutate (Default): looks up the Pipeline named by spec.pipelineName in the
//     version's namespace and sets the labels pipelines.kubeflow.org/pipeline-id
//     (its UID) and pipelines.kubeflow.org/pipeline (its name cut to 63
//     characters) and one ownerReference {apiVersion, kind: Pipeline, name, uid,
//     blockOwnerDeletion: true}; a missing Pipeline is denied.
//   - /validate: denies a pipelineSpec without a root or with a schemaVersion
//     other than 2.1.0, a missing Pipeline, and on update any spec change but
//     displayName and tags.
//
// It serves TLS on 127.0.0.1 with a certificate from a CA of its own and prints
//
//	ready url=https://127.0.0.1:PORT ca=BASE64 other-ca=BASE64
//
// (ca: its CA bundle; other-ca: a CA that did not sign it, for wrong-bundle
// tests). --deny denies every request on /validate; --delay waits before
// answering (timeout tests). It exits when stdin closes.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"reflect"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
)

var pipelines = schema.GroupVersionResource{Group: "pipelines.kubeflow.org", Version: "v2beta1", Resource: "pipelines"}

type review struct {
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Request    *request  `json:"request,omitempty"`
	Response   *response `json:"response,omitempty"`
}

type request struct {
	UID       string          `json:"uid"`
	Operation string          `json:"operation"`
	Namespace string          `json:"namespace"`
	Object    json.RawMessage `json:"object"`
	OldObject json.RawMessage `json:"oldObject"`
}

type response struct {
	UID       string  `json:"uid"`
	Allowed   bool    `json:"allowed"`
	Result    *status `json:"status,omitempty"`
	Patch     []byte  `json:"patch,omitempty"`
	PatchType string  `json:"patchType,omitempty"`
}

type status struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type version struct {
	Metadata struct {
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec map[string]any `json:"spec"`
}

type server struct {
	client dynamic.Interface
	deny   bool
	delay  time.Duration
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig to look Pipelines up with (its current context)")
	deny := flag.Bool("deny", false, "deny every request on /validate")
	delay := flag.Duration("delay", 0, "wait this long before answering")
	flag.Parse()
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fail(err)
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		fail(err)
	}
	caPEM, cert, err := serving()
	if err != nil {
		fail(err)
	}
	otherPEM, _, err := serving()
	if err != nil {
		fail(err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	s := &server{client: client, deny: *deny, delay: *delay}
	mux := http.NewServeMux()
	mux.HandleFunc("/mutate", func(w http.ResponseWriter, r *http.Request) { s.handle(w, r, s.mutate) })
	mux.HandleFunc("/validate", func(w http.ResponseWriter, r *http.Request) { s.handle(w, r, s.validate) })
	httpServer := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	go func() {
		_ = httpServer.ServeTLS(listener, "", "")
	}()
	fmt.Printf("ready url=https://%s ca=%s other-ca=%s\n", listener.Addr(),
		base64.StdEncoding.EncodeToString(caPEM), base64.StdEncoding.EncodeToString(otherPEM))
	_, _ = io.Copy(io.Discard, os.Stdin)
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "kfp-test-webhook: %v\n", err)
	os.Exit(1)
}

// serving makes a CA and a certificate for 127.0.0.1 signed by it.
func serving() ([]byte, tls.Certificate, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	now := time.Now()
	caTemplate := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kfp-test-webhook-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return caPEM, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func (s *server) handle(w http.ResponseWriter, r *http.Request, decide func(context.Context, *request) *response) {
	time.Sleep(s.delay)
	var in review
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Request == nil {
		http.Error(w, "not an AdmissionReview", http.StatusBadRequest)
		return
	}
	out := decide(r.Context(), in.Request)
	out.UID = in.Request.UID
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(review{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview", Response: out})
}

func denied(message string) *response {
	return &response{Allowed: false, Result: &status{Code: http.StatusBadRequest, Message: message}}
}

// pipeline looks the version's Pipeline up, as KFP's webhook does.
func (s *server) pipeline(ctx context.Context, namespace string, v *version) (name, uid string, err error) {
	name, _ = v.Spec["pipelineName"].(string)
	p, err := s.client.Resource(pipelines).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", "", fmt.Errorf("pipeline %q does not exist in namespace %q", name, namespace)
	}
	if err != nil {
		return "", "", err
	}
	return p.GetName(), string(p.GetUID()), nil
}

func (s *server) mutate(ctx context.Context, req *request) *response {
	var v version
	if err := json.Unmarshal(req.Object, &v); err != nil {
		return denied(err.Error())
	}
	name, uid, err := s.pipeline(ctx, req.Namespace, &v)
	if err != nil {
		return denied(err.Error())
	}
	labels := map[string]string{}
	for k, val := range v.Metadata.Labels {
		labels[k] = val
	}
	labels["pipelines.kubeflow.org/pipeline-id"] = uid
	cut := name
	if len(cut) > 63 {
		cut = cut[:63]
	}
	labels["pipelines.kubeflow.org/pipeline"] = cut
	patch := []map[string]any{
		{"op": "add", "path": "/metadata/labels", "value": labels},
		{"op": "add", "path": "/metadata/ownerReferences", "value": []map[string]any{{
			"apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "Pipeline",
			"name": name, "uid": uid, "blockOwnerDeletion": true,
		}}},
	}
	data, err := json.Marshal(patch)
	if err != nil {
		return denied(err.Error())
	}
	return &response{Allowed: true, Patch: data, PatchType: "JSONPatch"}
}

func (s *server) validate(ctx context.Context, req *request) *response {
	if s.deny {
		return denied("denied by kfp-test-webhook --deny")
	}
	var v version
	if err := json.Unmarshal(req.Object, &v); err != nil {
		return denied(err.Error())
	}
	spec, _ := v.Spec["pipelineSpec"].(map[string]any)
	if _, ok := spec["root"].(map[string]any); !ok {
		return denied("invalid pipelineSpec: root is missing")
	}
	if spec["schemaVersion"] != "2.1.0" {
		return denied(fmt.Sprintf("invalid pipelineSpec: schemaVersion %v is not supported", spec["schemaVersion"]))
	}
	if _, _, err := s.pipeline(ctx, req.Namespace, &v); err != nil {
		return denied(err.Error())
	}
	if req.Operation == "UPDATE" {
		var old version
		if err := json.Unmarshal(req.OldObject, &old); err != nil {
			return denied(err.Error())
		}
		for _, m := range []map[string]any{old.Spec, v.Spec} {
			delete(m, "displayName")
			delete(m, "tags")
		}
		if !reflect.DeepEqual(old.Spec, v.Spec) {
			return denied("the spec of a PipelineVersion is immutable except displayName and tags")
		}
	}
	return &response{Allowed: true}
}
