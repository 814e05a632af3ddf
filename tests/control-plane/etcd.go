package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

type etcdServer struct {
	clientURL string
	etcd      *embed.Etcd
	stopOnce  sync.Once
}

// startEtcd runs a single-member etcd in this process, serving plain HTTP on
// 127.0.0.1 (only kube-apiserver talks to it). embed needs port numbers up
// front, so free ones are picked by binding and releasing them; should
// another process grab one in between, the start is retried with new ports.
func startEtcd(dataDir string, verbose bool) (*etcdServer, error) {
	for attempt := 1; ; attempt++ {
		e, clientURL, err := tryStartEtcd(dataDir, verbose)
		if err == nil {
			return &etcdServer{clientURL: clientURL, etcd: e}, nil
		}
		if attempt == 3 || !errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("starting etcd: %w", err)
		}
		os.RemoveAll(dataDir)
	}
}

func tryStartEtcd(dataDir string, verbose bool) (*embed.Etcd, string, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, "", err
	}
	clientURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))}
	peerURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))}

	cfg := embed.NewConfig()
	cfg.Name = "kfp-test"
	cfg.Dir = dataDir
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	// The data is thrown away on exit, so durability buys nothing and fsync
	// costs a lot on a busy disk.
	cfg.UnsafeNoFsync = true
	cfg.EnableGRPCGateway = false
	cfg.ZapLoggerBuilder = etcdLogger(verbose)

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, "", err
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, clientURL.String(), nil
	case err := <-e.Err():
		e.Close()
		return nil, "", err
	case <-time.After(30 * time.Second):
		e.Close()
		return nil, "", errors.New("etcd not ready after 30s")
	}
}

func (s *etcdServer) stop() {
	s.stopOnce.Do(s.etcd.Close)
}

// freePorts returns n distinct TCP ports that were free on 127.0.0.1 a
// moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		// Held open until all are picked, so the kernel returns distinct ones.
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
