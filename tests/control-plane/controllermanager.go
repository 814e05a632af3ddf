package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
	"k8s.io/kubernetes/cmd/kube-controller-manager/app/options"
)

// startGarbageCollector runs kube-controller-manager from the same release
// with only its garbage-collector controller, so that ownerReferences behave
// as in a real cluster: a PipelineVersion whose owner UID does not exist is
// deleted. It talks to kube-apiserver through a kubeconfig of its own, as the
// real component does. Like app.Run it runs until ctx ends; it returns once
// the options are valid, and reports a failure of Run on the returned channel.
func startGarbageCollector(ctx context.Context, runDir, serverURL string, creds *credentials) (<-chan error, error) {
	kubeconfigPath := filepath.Join(runDir, "controller-manager.kubeconfig")
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[clusterName] = &clientcmdapi.Cluster{Server: serverURL, CertificateAuthorityData: creds.caCertPEM}
	cfg.AuthInfos[controllerManagerUser.name] = &clientcmdapi.AuthInfo{Token: creds.tokens[controllerManagerUser.name]}
	cfg.Contexts["controller-manager"] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: controllerManagerUser.name}
	cfg.CurrentContext = "controller-manager"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(kubeconfigPath, data, 0o600); err != nil {
		return nil, err
	}

	s, err := options.NewKubeControllerManagerOptions()
	if err != nil {
		return nil, fmt.Errorf("kube-controller-manager options: %w", err)
	}
	known, disabled, aliases := app.KnownControllers(), app.ControllersDisabledByDefault(), app.ControllerAliases()
	namedFlagSets := s.Flags(known, disabled, aliases)
	s.ParsedFlags = &namedFlagSets
	fs := pflag.NewFlagSet("kube-controller-manager", pflag.ContinueOnError)
	for _, f := range namedFlagSets.FlagSets {
		fs.AddFlagSet(f)
	}
	args := []string{
		"--kubeconfig=" + kubeconfigPath,
		"--controllers=garbage-collector-controller",
		"--leader-elect=false",
		// No serving endpoint: nothing scrapes it, and it would need a port.
		"--secure-port=0",
		"--use-service-account-credentials=false",
	}
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("kube-controller-manager flags: %w", err)
	}
	if err := s.ComponentGlobalsRegistry.Set(); err != nil {
		return nil, err
	}
	c, err := s.Config(ctx, known, disabled, aliases)
	if err != nil {
		return nil, fmt.Errorf("kube-controller-manager config: %w", err)
	}
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, c.Complete())
	}()
	return done, nil
}
