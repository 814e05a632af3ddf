package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// pollInterval is short because every wait here is for something
// in-process that usually takes milliseconds.
const pollInterval = 50 * time.Millisecond

// bootstrap prepares the cluster as admin: it waits for kube-apiserver to be
// ready, installs the CRDs, creates the namespaces and the RBAC objects, and
// returns once every user's permissions are in effect.
func bootstrap(ctx context.Context, serverURL string, creds *credentials, crds []*apiextensionsv1.CustomResourceDefinition, namespaces []string) error {
	adminConfig := creds.restConfig(serverURL, adminUser)
	kube, err := kubernetes.NewForConfig(adminConfig)
	if err != nil {
		return err
	}
	ext, err := apiextensionsclient.NewForConfig(adminConfig)
	if err != nil {
		return err
	}

	if err := waitForReadyz(ctx, kube); err != nil {
		return fmt.Errorf("waiting for kube-apiserver to be ready: %w", err)
	}
	if err := installCRDs(ctx, ext, kube, crds); err != nil {
		return err
	}
	for _, ns := range namespaces {
		_, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		// "default" and the kube-* namespaces exist already.
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %s: %w", ns, err)
		}
	}
	if err := setUpRBAC(ctx, kube, namespaces); err != nil {
		return err
	}
	return waitForAccess(ctx, serverURL, creds, namespaces)
}

// waitForReady waits until a restarted kube-apiserver answers /readyz as admin.
func waitForReady(ctx context.Context, serverURL string, creds *credentials) error {
	kube, err := kubernetes.NewForConfig(creds.restConfig(serverURL, adminUser))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return waitForReadyz(ctx, kube)
}

// waitForReadyz waits until /readyz passes, which includes the post-start
// hooks that create the bootstrap RBAC roles and sync the CRD informers.
func waitForReadyz(ctx context.Context, kube kubernetes.Interface) error {
	var lastErr error
	err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, lastErr = kube.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return lastErr == nil, nil
	})
	if err != nil && lastErr != nil {
		return fmt.Errorf("%w; last check: %v", err, lastErr)
	}
	return err
}

// installCRDs creates the CRDs and waits until each is Established and its
// resources are listed in discovery: kubectl and other clients find resources
// through discovery, so being Established is not enough for them.
func installCRDs(ctx context.Context, ext apiextensionsclient.Interface, kube kubernetes.Interface, crds []*apiextensionsv1.CustomResourceDefinition) error {
	for _, crd := range crds {
		if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating CRD %s: %w", crd.Name, err)
		}
	}
	for _, crd := range crds {
		err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
			got, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			for _, c := range got.Status.Conditions {
				if c.Type == apiextensionsv1.NamesAccepted && c.Status == apiextensionsv1.ConditionFalse {
					return false, fmt.Errorf("names not accepted: %s", c.Message)
				}
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("waiting for CRD %s to be established: %w", crd.Name, err)
		}
	}
	for _, crd := range crds {
		for _, v := range crd.Spec.Versions {
			if !v.Served {
				continue
			}
			gv := crd.Spec.Group + "/" + v.Name
			err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
				list, err := kube.Discovery().ServerResourcesForGroupVersion(gv)
				if err != nil {
					return false, nil // 404 until the group version appears
				}
				return slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool {
					return r.Name == crd.Spec.Names.Plural
				}), nil
			})
			if err != nil {
				return fmt.Errorf("waiting for %s to appear in discovery of %s: %w", crd.Spec.Names.Plural, gv, err)
			}
		}
	}
	return nil
}
