package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sync"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"k8s.io/klog/v2"
)

// Without --verbose, kube-apiserver and etcd write to quietLog, which keeps
// the start-up chatter (a normal start logs dozens of warnings and a few
// errors about races it then resolves) until the outcome is known: it is
// noise when the control plane comes up and the diagnosis when it does not.
// Once ready, only errors get through; once shutting down, nothing does,
// since stopping logs errors about closed connections by design.
var quietLog = &logFilter{}

const (
	logBuffering = iota
	logErrorsOnly
	logDiscarding
)

// maxBufferedLogs bounds the memory held while starting; the newest entries
// are the ones that explain a failure.
const maxBufferedLogs = 1000

type logFilter struct {
	mu       sync.Mutex
	state    int
	buffered [][]byte
	dropped  int
}

// write takes one log entry; isError says whether it is worth showing once
// the control plane is running.
func (f *logFilter) write(entry []byte, isError bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch f.state {
	case logBuffering:
		if len(f.buffered) == maxBufferedLogs {
			f.buffered = f.buffered[1:]
			f.dropped++
		}
		f.buffered = append(f.buffered, append([]byte(nil), entry...))
	case logErrorsOnly:
		if isError {
			os.Stderr.Write(entry)
		}
	}
}

// startupFailed prints what was held back.
func (f *logFilter) startupFailed() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state != logBuffering {
		return
	}
	if f.dropped > 0 {
		fmt.Fprintf(os.Stderr, "[%d earlier log entries dropped]\n", f.dropped)
	}
	for _, entry := range f.buffered {
		os.Stderr.Write(entry)
	}
	f.buffered = nil
	f.state = logDiscarding
}

func (f *logFilter) setState(state int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buffered = nil
	f.state = state
}

func (f *logFilter) ready()        { f.setState(logErrorsOnly) }
func (f *logFilter) shuttingDown() { f.setState(logDiscarding) }

// klogWriter receives klog's entries, which start with their severity letter.
type klogWriter struct{}

func (klogWriter) Write(p []byte) (int, error) {
	quietLog.write(p, len(p) > 0 && (p[0] == 'E' || p[0] == 'F'))
	return len(p), nil
}

// etcdWriter receives etcd's entries, which are all errors (see etcdLogger).
type etcdWriter struct{}

func (etcdWriter) Write(p []byte) (int, error) {
	quietLog.write(p, true)
	return len(p), nil
}

var setupLoggingOnce sync.Once

// setupLogging configures klog, which kube-apiserver logs through.
func setupLogging(verbose bool) {
	setupLoggingOnce.Do(func() {
		fs := flag.NewFlagSet("klog", flag.ContinueOnError)
		klog.InitFlags(fs)
		settings := map[string]string{"logtostderr": "true", "v": "2"}
		if !verbose {
			// Entries go only to the writer set below, each exactly once.
			settings = map[string]string{
				"logtostderr":     "false",
				"alsologtostderr": "false",
				"stderrthreshold": "FATAL",
				"one_output":      "true",
				"v":               "0",
			}
			klog.SetOutput(klogWriter{})
		}
		for name, value := range settings {
			if err := fs.Set(name, value); err != nil {
				panic(fmt.Sprintf("klog flag %s: %v", name, err))
			}
		}
	})
}

// etcdLogger returns the logger builder for embedded etcd: JSON lines on
// stderr at info level when verbose, errors through quietLog otherwise.
func etcdLogger(verbose bool) func(*embed.Config) error {
	var out io.Writer = etcdWriter{}
	level := zapcore.ErrorLevel
	if verbose {
		out, level = os.Stderr, zapcore.InfoLevel
	}
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(out), level)
	return embed.NewZapLoggerBuilder(zap.New(core).Named("etcd"))
}
