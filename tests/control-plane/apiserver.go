package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/pflag"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/server/flagz"
	"k8s.io/client-go/rest"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
	"k8s.io/kubernetes/cmd/kube-apiserver/app/options"
)

// shutdownTimeout bounds how long kube-apiserver may take to drain.
const shutdownTimeout = 10 * time.Second

type apiServer struct {
	url   string
	port  int
	conns *trackingListener

	cancel context.CancelFunc
	done   chan struct{} // closed when app.Run has returned
	err    error         // what app.Run returned; read only after done
}

// startAPIServer runs the real kube-apiserver in this process. It goes
// through the same steps as the kube-apiserver command (flags, Complete,
// Validate, app.Run) minus the command's own signal handler, so that this
// program decides when it stops.
//
// port 0 picks a free port; a restart passes the port it had.
func startAPIServer(creds *credentials, etcdURL string, extraArgs []string, port int) (*apiServer, error) {
	// Binding here rather than letting kube-apiserver pick a port leaves no
	// window in which another process could take it. Go sets SO_REUSEADDR, so
	// the port of a stopped server can be bound again at once.
	listener, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return nil, err
	}
	port = listener.Addr().(*net.TCPAddr).Port
	conns := &trackingListener{Listener: listener, open: map[net.Conn]struct{}{}}
	ctx, cancel := context.WithCancel(context.Background())
	started := false
	defer func() {
		if !started {
			cancel()
			listener.Close()
		}
	}()

	s := options.NewServerRunOptions()
	namedFlagSets := s.Flags()
	fs := pflag.NewFlagSet("kube-apiserver", pflag.ContinueOnError)
	for _, f := range namedFlagSets.FlagSets {
		fs.AddFlagSet(f)
	}
	s.Flagz = flagz.NamedFlagSetsReader{FlagSets: namedFlagSets}

	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		// Without it kube-apiserver looks for the default route's interface,
		// which a sandbox without network does not have.
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--tls-cert-file=" + creds.servingCertFile,
		"--tls-private-key-file=" + creds.servingKeyFile,
		"--token-auth-file=" + creds.tokenFile,
		"--anonymous-auth=false",
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + creds.serviceAccountKeyFile,
		"--service-account-signing-key-file=" + creds.serviceAccountKeyFile,
		// Only used to allocate Service IPs in etcd; nothing is routed.
		"--service-cluster-ip-range=10.0.0.0/24",
		// Nothing creates service accounts without a controller manager, and
		// the tests create no pods.
		"--disable-admission-plugins=ServiceAccount",
		// A single client at a time needs no fairness, and APF's bootstrap
		// configuration costs start-up time.
		"--enable-priority-and-fairness=false",
		// The "kubernetes" Service's endpoints would point at 127.0.0.1,
		// which is useless to anything inside a cluster; there is none.
		"--endpoint-reconciler-type=none",
		"--profiling=false",
	}
	args = append(args, extraArgs...)
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("kube-apiserver flags: %w", err)
	}
	s.SecureServing.Listener = conns

	if err := s.GenericServerRunOptions.ComponentGlobalsRegistry.Set(); err != nil {
		return nil, err
	}
	// kube-apiserver's loopback clients would otherwise log the warnings the
	// server sends to itself.
	rest.SetDefaultWarningHandler(rest.NoWarnings{})

	completed, err := s.Complete(ctx)
	if err != nil {
		return nil, fmt.Errorf("kube-apiserver options: %w", err)
	}
	if errs := completed.Validate(); len(errs) != 0 {
		return nil, fmt.Errorf("kube-apiserver options: %w", utilerrors.NewAggregate(errs))
	}

	started = true
	a := &apiServer{
		url:    "https://" + listener.Addr().String(),
		port:   port,
		conns:  conns,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	go func() {
		defer close(a.done)
		a.err = app.Run(ctx, completed)
		if a.err == nil && ctx.Err() == nil {
			a.err = errors.New("app.Run returned")
		}
	}()
	return a, nil
}

// stop shuts kube-apiserver down and waits, within limits, for it to finish.
// Connections still open after a moment (watches keep a graceful shutdown
// waiting) are closed, as the end of a kube-apiserver process closes them.
func (a *apiServer) stop() {
	a.cancel()
	select {
	case <-a.done:
		return
	case <-time.After(time.Second):
	}
	a.conns.closeAll()
	select {
	case <-a.done:
	case <-time.After(shutdownTimeout):
		logf("kube-apiserver did not stop within %v", shutdownTimeout)
	}
}

// trackingListener remembers the connections it accepted, to close them.
type trackingListener struct {
	net.Listener
	mu   sync.Mutex
	open map[net.Conn]struct{}
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	tracked := &trackedConn{Conn: c, owner: l}
	l.open[tracked] = struct{}{}
	return tracked, nil
}

func (l *trackingListener) closeAll() {
	l.mu.Lock()
	conns := make([]net.Conn, 0, len(l.open))
	for c := range l.open {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

type trackedConn struct {
	net.Conn
	owner *trackingListener
	once  sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.owner.mu.Lock()
		delete(c.owner.open, c)
		c.owner.mu.Unlock()
	})
	return c.Conn.Close()
}
