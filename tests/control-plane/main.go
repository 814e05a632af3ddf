// Command kfp-control-plane runs a throw-away Kubernetes control plane for the
// kubectl-kfp integration tests: an embedded etcd and the real kube-apiserver
// in one process, bound to 127.0.0.1 only, with the Kubeflow Pipelines CRDs
// installed, a few namespaces and a fixed set of users with RBAC roles.
//
// When everything is in place it writes DIR/kubeconfig and prints one line to
// stdout:
//
//	ready kubeconfig=DIR/kubeconfig server=https://127.0.0.1:PORT
//
// With --exit-on-stdin-eof, a line "restart-apiserver" on stdin stops
// kube-apiserver and starts it again on the same port and etcd (what a watch
// meets when a server restarts); "restarted" is printed once it is ready.
//
// All state (etcd data, certificates, keys, token file) lives in a fresh
// DIR/run-* directory that is removed on exit, so every start is a clean
// cluster. Of kube-controller-manager only the garbage collector runs (so
// ownerReferences to missing owners delete their dependents, as in a real
// cluster); there is no scheduler or kubelet: the tests need API semantics
// (validation, RBAC, resourceVersions, watches, owner references).
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/klog/v2"
)

// config is the parsed command line.
type config struct {
	dir            string
	crdPaths       []string
	namespaces     []string
	exitOnStdinEOF bool
	verbose        bool
	startupTimeout time.Duration
	apiserverArgs  []string
}

func parseFlags(args []string) (*config, error) {
	cfg := &config{}
	fs := pflag.NewFlagSet("kfp-control-plane", pflag.ContinueOnError)
	fs.StringVar(&cfg.dir, "dir", "", "directory for the kubeconfig, ca.crt, pid and the run-* state directory (created if missing; required)")
	fs.StringArrayVar(&cfg.crdPaths, "crds", nil, "CRD manifests to install: a file, a directory (its *.yaml, *.yml, *.json files) or - for stdin; repeatable (required)")
	fs.StringSliceVar(&cfg.namespaces, "namespace", []string{"kubeflow", "team-a", "team-b"}, "namespaces to create; repeatable or comma-separated")
	fs.BoolVar(&cfg.exitOnStdinEOF, "exit-on-stdin-eof", false, "shut down when stdin is closed, so that a parent that dies never leaves a server behind")
	fs.BoolVar(&cfg.verbose, "verbose", false, "let kube-apiserver and etcd log at info level to stderr")
	fs.DurationVar(&cfg.startupTimeout, "startup-timeout", 90*time.Second, "give up when the control plane is not ready after this long")
	fs.StringArrayVar(&cfg.apiserverArgs, "apiserver-arg", nil, "extra kube-apiserver flag, e.g. --apiserver-arg=--feature-gates=Foo=true; repeatable, applied last")
	fs.SortFlags = false
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if cfg.dir == "" {
		return nil, errors.New("--dir is required")
	}
	if len(cfg.crdPaths) == 0 {
		return nil, errors.New("at least one --crds is required")
	}
	stdinCRDs := 0
	for _, p := range cfg.crdPaths {
		if p == "-" {
			stdinCRDs++
		}
	}
	if stdinCRDs > 1 {
		return nil, errors.New("--crds - may be given only once")
	}
	if stdinCRDs > 0 && cfg.exitOnStdinEOF {
		return nil, errors.New("--crds - and --exit-on-stdin-eof both need stdin")
	}
	seen := map[string]bool{}
	for _, ns := range cfg.namespaces {
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return nil, fmt.Errorf("invalid --namespace %q: %s", ns, strings.Join(errs, "; "))
		}
		if seen[ns] {
			return nil, fmt.Errorf("--namespace %q given twice", ns)
		}
		seen[ns] = true
	}
	abs, err := filepath.Abs(cfg.dir)
	if err != nil {
		return nil, err
	}
	cfg.dir = abs
	return cfg, nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, pflag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kfp-control-plane: %v\n", err)
		os.Exit(2)
	}
	setupLogging(cfg.verbose)
	if err := run(cfg); err != nil {
		quietLog.startupFailed()
		fmt.Fprintf(os.Stderr, "kfp-control-plane: %v\n", err)
		os.Exit(1)
	}
}

func run(cfg *config) error {
	started := time.Now()
	crds, err := loadCRDs(cfg.crdPaths, os.Stdin)
	if err != nil {
		return err
	}

	ws, err := openWorkspace(cfg.dir)
	if err != nil {
		return err
	}
	defer ws.cleanup()
	// kube-apiserver ends the process with klog.Fatal in places, for
	// instance when it is stopped while a post-start hook is still running.
	klog.OsExit = func(code int) {
		ws.cleanup()
		os.Exit(code)
	}

	// shutdown starts an orderly shutdown, once. Should that hang, a watchdog
	// still removes the run directory and exits, and so does a second signal.
	ctx, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	var watchdog sync.Once
	shutdown := func(cause error) {
		stop(cause)
		watchdog.Do(func() {
			time.AfterFunc(shutdownGrace, func() {
				logf("shutdown is taking too long, exiting now")
				ws.cleanup()
				os.Exit(1)
			})
		})
	}
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-signals
		shutdown(fmt.Errorf("received %v", sig))
		sig = <-signals
		logf("received %v again, exiting now", sig)
		ws.cleanup()
		os.Exit(1)
	}()
	restarts := make(chan struct{})
	if cfg.exitOnStdinEOF {
		go func() {
			// Only "restart-apiserver" lines and the end of stdin matter.
			lines := bufio.NewScanner(os.Stdin)
			for lines.Scan() {
				if strings.TrimSpace(lines.Text()) == "restart-apiserver" {
					select {
					case restarts <- struct{}{}:
					case <-ctx.Done():
					}
				}
			}
			shutdown(errors.New("stdin closed"))
		}()
	}

	creds, err := generateCredentials(ws.runDir)
	if err != nil {
		return err
	}

	etcd, err := startEtcd(filepath.Join(ws.runDir, "etcd"), cfg.verbose)
	if err != nil {
		return err
	}
	defer etcd.stop()

	apiserver, err := startAPIServer(creds, etcd.clientURL, cfg.apiserverArgs, 0)
	if err != nil {
		return err
	}
	// On a failed start kube-apiserver is not stopped gracefully: its
	// post-start hooks end the process with klog.Fatal when cancelled, and
	// nothing needs its state anyway. Stopping etcd (deferred above) and
	// exiting is enough.

	// Bootstrapping must end as soon as kube-apiserver dies (later, the loop
	// below watches it).
	booted := make(chan struct{})
	go func() {
		select {
		case <-apiserver.done:
			shutdown(fmt.Errorf("%w: %v", errAPIServerStopped, apiserver.err))
		case <-ctx.Done():
		case <-booted:
		}
	}()
	bootCtx, cancelBoot := context.WithTimeoutCause(ctx, cfg.startupTimeout,
		fmt.Errorf("control plane not ready after %v", cfg.startupTimeout))
	defer cancelBoot()
	if err := bootstrap(bootCtx, apiserver.url, creds, crds, cfg.namespaces); err != nil {
		if cause := context.Cause(bootCtx); cause != nil {
			return fmt.Errorf("%w (%v)", cause, err)
		}
		return err
	}
	close(booted)
	gcDone, err := startGarbageCollector(ctx, ws.runDir, apiserver.url, creds)
	if err != nil {
		return err
	}
	go func() {
		if err := <-gcDone; err != nil && ctx.Err() == nil {
			logf("garbage collector stopped: %v", err)
		}
	}()
	if err := ws.publish(apiserver.url, creds); err != nil {
		return err
	}
	// os.Stdout is unbuffered, so this line reaches the reader at once.
	fmt.Printf("ready kubeconfig=%s server=%s\n", ws.kubeconfigPath(), apiserver.url)
	logf("ready after %.1fs", time.Since(started).Seconds())
	quietLog.ready()

	for running := true; running; {
		select {
		case <-ctx.Done():
			running = false
		case <-apiserver.done:
			shutdown(fmt.Errorf("%w: %v", errAPIServerStopped, apiserver.err))
		case <-restarts:
			logf("restarting kube-apiserver on port %d", apiserver.port)
			apiserver.stop()
			apiserver, err = startAPIServer(creds, etcd.clientURL, cfg.apiserverArgs, apiserver.port)
			if err != nil {
				shutdown(fmt.Errorf("restarting kube-apiserver: %w", err))
				continue
			}
			if err := waitForReady(ctx, apiserver.url, creds); err != nil {
				shutdown(fmt.Errorf("restarted kube-apiserver: %w", err))
				continue
			}
			logf("kube-apiserver restarted")
			fmt.Println("restarted")
		}
	}
	cause := context.Cause(ctx)
	logf("shutting down: %v", cause)
	quietLog.shuttingDown()
	stopping := time.Now()
	// kube-apiserver first, while etcd is still there for what it has in
	// flight.
	apiserver.stop()
	logf("kube-apiserver stopped after %.1fs", time.Since(stopping).Seconds())
	etcd.stop()
	logf("etcd stopped after %.1fs", time.Since(stopping).Seconds())
	if errors.Is(cause, errAPIServerStopped) {
		return cause
	}
	return nil
}

// shutdownGrace bounds an orderly shutdown, normally about a second.
const shutdownGrace = 20 * time.Second

var errAPIServerStopped = errors.New("kube-apiserver stopped unexpectedly")

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kfp-control-plane: "+format+"\n", args...)
}
