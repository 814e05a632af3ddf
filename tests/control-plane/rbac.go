package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

const (
	kfpGroup = "pipelines.kubeflow.org"

	editRole            = "kfp-test:edit"
	viewRole            = "kfp-test:view"
	namespaceReaderRole = "kfp-test:namespace-reader"
)

// kfpResources are the resources the roles cover.
var kfpResources = []string{"pipelines", "pipelineversions"}

// grant gives a user a ClusterRole within one namespace.
type grant struct {
	user, role, namespace string
}

// grants is the permission matrix the tests rely on. A grant for a namespace
// that was not asked for with --namespace is left out.
var grants = []grant{
	{"editor", editRole, "team-a"},
	{"editor", editRole, "team-b"},
	{"editor", viewRole, "kubeflow"},
	{"viewer", viewRole, "kubeflow"},
	{"viewer", viewRole, "team-a"},
	{"viewer", viewRole, "team-b"},
	{"outsider", editRole, "team-b"},
}

func kfpRules(verbs ...string) []rbacv1.PolicyRule {
	var status []string
	for _, r := range kfpResources {
		status = append(status, r+"/status")
	}
	return []rbacv1.PolicyRule{
		{APIGroups: []string{kfpGroup}, Resources: kfpResources, Verbs: verbs},
		{APIGroups: []string{kfpGroup}, Resources: status, Verbs: []string{"get"}},
	}
}

func setUpRBAC(ctx context.Context, kube kubernetes.Interface, namespaces []string) error {
	clusterRoles := []*rbacv1.ClusterRole{
		{
			ObjectMeta: metav1.ObjectMeta{Name: editRole},
			// No patch, on purpose: tools must work with update alone.
			Rules: kfpRules("get", "list", "watch", "create", "update", "delete"),
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: viewRole},
			Rules:      kfpRules("get", "list", "watch"),
		},
		{
			// Enough to check that a namespace exists, not to list them all.
			ObjectMeta: metav1.ObjectMeta{Name: namespaceReaderRole},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get"}}},
		},
	}
	for _, role := range clusterRoles {
		if _, err := kube.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating ClusterRole %s: %w", role.Name, err)
		}
	}

	readers := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: namespaceReaderRole},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: namespaceReaderRole},
	}
	for _, u := range users {
		readers.Subjects = append(readers.Subjects, userSubject(u.name))
	}
	if _, err := kube.RbacV1().ClusterRoleBindings().Create(ctx, readers, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating ClusterRoleBinding %s: %w", readers.Name, err)
	}

	for _, g := range grants {
		if !slices.Contains(namespaces, g.namespace) {
			continue
		}
		binding := &rbacv1.RoleBinding{
			// e.g. kfp-test:editor:edit
			ObjectMeta: metav1.ObjectMeta{Name: "kfp-test:" + g.user + ":" + strings.TrimPrefix(g.role, "kfp-test:"), Namespace: g.namespace},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: g.role},
			Subjects:   []rbacv1.Subject{userSubject(g.user)},
		}
		if _, err := kube.RbacV1().RoleBindings(g.namespace).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating RoleBinding %s/%s: %w", g.namespace, binding.Name, err)
		}
	}
	return nil
}

func userSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: "User", Name: name}
}

// accessCheck is one question a user asks about itself, with the answer the
// grants imply.
type accessCheck struct {
	user  string
	attrs authorizationv1.ResourceAttributes
	want  bool
}

func (c accessCheck) String() string {
	a := c.attrs
	return fmt.Sprintf("%s %s %s %s/%s (want allowed=%v)", c.user, a.Verb, a.Resource, a.Namespace, a.Name, c.want)
}

// expectedAccess derives from the grants what each non-admin user may do.
func expectedAccess(namespaces []string) []accessCheck {
	var checks []accessCheck
	for _, u := range users {
		if u.name == adminUser {
			continue
		}
		checks = append(checks,
			accessCheck{u.name, authorizationv1.ResourceAttributes{Verb: "get", Resource: "namespaces", Name: "default"}, true},
			accessCheck{u.name, authorizationv1.ResourceAttributes{Verb: "list", Resource: "namespaces"}, false},
		)
		for _, ns := range namespaces {
			role := ""
			for _, g := range grants {
				if g.user == u.name && g.namespace == ns {
					role = g.role
				}
			}
			for verb, want := range map[string]bool{
				"list":   role == editRole || role == viewRole,
				"create": role == editRole,
				"patch":  false,
			} {
				checks = append(checks, accessCheck{u.name, authorizationv1.ResourceAttributes{
					Verb: verb, Group: kfpGroup, Resource: "pipelineversions", Namespace: ns,
				}, want})
			}
		}
	}
	return checks
}

// waitForAccess asks, as each user, SelfSubjectAccessReviews (which every
// authenticated user may create) until the answers match the grants. The
// RBAC authorizer reads bindings from an informer cache, so a new binding
// takes a moment to count; waiting here spares every test that race.
func waitForAccess(ctx context.Context, serverURL string, creds *credentials, namespaces []string) error {
	clients := map[string]kubernetes.Interface{}
	for _, u := range users {
		client, err := kubernetes.NewForConfig(creds.restConfig(serverURL, u.name))
		if err != nil {
			return err
		}
		clients[u.name] = client
	}
	checks := expectedAccess(namespaces)
	var mismatch string
	err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
		for _, c := range checks {
			review := &authorizationv1.SelfSubjectAccessReview{
				Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &c.attrs},
			}
			got, err := clients[c.user].AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
			if err != nil {
				return false, fmt.Errorf("SelfSubjectAccessReview as %s: %w", c.user, err)
			}
			if got.Status.Allowed != c.want {
				mismatch = c.String()
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil && mismatch != "" {
		return fmt.Errorf("waiting for RBAC to take effect: %w; last mismatch: %s", err, mismatch)
	}
	return err
}
