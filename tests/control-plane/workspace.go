package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// workspace is the --dir directory. It holds what clients use (kubeconfig,
// ca.crt), the pid file and, in run-*, everything private to this run.
type workspace struct {
	dir    string
	runDir string
	lock   *os.File

	cleanupOnce sync.Once
}

// openWorkspace takes DIR for this process and creates a fresh run directory
// in it. An exclusive flock on DIR/lock, held until the process ends (the
// kernel drops it even on SIGKILL), tells a live control plane from the
// leftovers of a killed one, which are then safe to delete.
func openWorkspace(dir string) (*workspace, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid, _ := os.ReadFile(filepath.Join(dir, "pid"))
			return nil, fmt.Errorf("another kfp-control-plane (pid %s) is running in %s", strings.TrimSpace(string(pid)), dir)
		}
		return nil, fmt.Errorf("locking %s: %w", lock.Name(), err)
	}
	ws := &workspace{dir: dir, lock: lock}

	// Remove what a killed predecessor left, above all a kubeconfig that
	// would point at a dead server.
	stale, _ := filepath.Glob(filepath.Join(dir, "run-*"))
	for _, path := range append(stale, ws.kubeconfigPath(), ws.caPath(), ws.pidPath()) {
		if err := os.RemoveAll(path); err != nil {
			ws.cleanup()
			return nil, err
		}
	}

	if ws.runDir, err = os.MkdirTemp(dir, "run-"); err != nil {
		ws.cleanup()
		return nil, err
	}
	if err := os.WriteFile(ws.pidPath(), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		ws.cleanup()
		return nil, err
	}
	return ws, nil
}

func (ws *workspace) kubeconfigPath() string { return filepath.Join(ws.dir, "kubeconfig") }
func (ws *workspace) caPath() string         { return filepath.Join(ws.dir, "ca.crt") }
func (ws *workspace) pidPath() string        { return filepath.Join(ws.dir, "pid") }

// publish writes the files clients need. The kubeconfig comes last and
// appears atomically, so whoever sees it can use it.
func (ws *workspace) publish(serverURL string, creds *credentials) error {
	if err := writeFileAtomic(ws.caPath(), creds.caCertPEM, 0o644); err != nil {
		return err
	}
	kubeconfig, err := creds.kubeconfig(serverURL)
	if err != nil {
		return err
	}
	return writeFileAtomic(ws.kubeconfigPath(), kubeconfig, 0o600)
}

// cleanup removes everything this run created in DIR except the lock file
// (deleting a lock file that someone else may be about to open would let two
// processes hold "the" lock). Safe to call more than once and concurrently.
func (ws *workspace) cleanup() {
	ws.cleanupOnce.Do(func() {
		for _, path := range []string{ws.kubeconfigPath(), ws.caPath(), ws.pidPath(), ws.runDir} {
			if path == "" {
				continue
			}
			if err := os.RemoveAll(path); err != nil {
				logf("cleanup: %v", err)
			}
		}
		ws.lock.Close()
	})
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
