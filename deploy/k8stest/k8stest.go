// Package k8stest runs a real Kubernetes API server for tests: Debian's
// etcd (package etcd-server) and a kube-apiserver built from the Go module
// proxy by scripts/k8s/build-apiserver.sh, both on 127.0.0.1 with random
// ports, authenticated by a bearer token from a token file, with Istio's
// WasmPlugin and EnvoyFilter CRDs (deploy/testdata/crds) installed.
// There is no controller manager or scheduler: objects are stored and
// validated, nothing reconciles them.
//
//	func TestMain(m *testing.M) { os.Exit(k8stest.Main(m)) }
//
//	func TestX(t *testing.T) {
//		env := k8stest.Require(t) // skips when kube-apiserver is not built
//		... env.Config, env.Kubeconfig ...
//	}
//
// Every wait is bounded: a server that does not come up fails the test
// with the end of its log. Set K8STEST_LOG=1 to keep the logs and the
// directory (printed) after the run.
package k8stest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// SkipMessage is why tests skip when the API server binary is absent.
const SkipMessage = "kube-apiserver not built: make test-k8s (scripts/k8s/build-apiserver.sh)"

// Timeouts of the startup steps.
const (
	etcdTimeout      = 30 * time.Second
	apiServerTimeout = 90 * time.Second
	crdTimeout       = 60 * time.Second
)

// CacheDir is where build-apiserver.sh puts the binary:
// $WASMESH_K8S_CACHE, else ~/.cache/wasmesh-k8s.
func CacheDir() string {
	if d := os.Getenv("WASMESH_K8S_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".cache", "wasmesh-k8s")
	}
	return filepath.Join(home, ".cache", "wasmesh-k8s")
}

// APIServerPath is the kube-apiserver binary the tests run.
func APIServerPath() string { return filepath.Join(CacheDir(), "kube-apiserver") }

// Available reports whether the kube-apiserver binary is there.
func Available() bool {
	fi, err := os.Stat(APIServerPath())
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// Env is a running etcd and kube-apiserver.
type Env struct {
	// Config reaches the API server as a cluster administrator.
	Config *rest.Config
	// Kubeconfig is a kubeconfig file for Config (context "k8stest").
	Kubeconfig string
	// Dir holds the data, certificates, logs and the kubeconfig.
	Dir string

	procs []*process
}

var (
	shared    *Env
	sharedErr error
	once      sync.Once
)

// Require returns the package's shared environment, started on first
// use. It skips t when the binary is not built and fails t when the
// servers cannot start.
func Require(t testing.TB) *Env {
	t.Helper()
	if !Available() {
		t.Skip(SkipMessage)
	}
	once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), etcdTimeout+apiServerTimeout+crdTimeout)
		defer cancel()
		shared, sharedErr = Start(ctx)
	})
	if sharedErr != nil {
		t.Fatalf("k8stest: %v", sharedErr)
	}
	return shared
}

// Main runs the tests, then stops the shared environment if one started.
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	return code
}

// Start starts etcd and kube-apiserver in a new temporary directory and
// installs the CRDs of deploy/testdata/crds.
func Start(ctx context.Context) (env *Env, err error) {
	if !Available() {
		return nil, errors.New(SkipMessage)
	}
	etcdBin, err := exec.LookPath("etcd")
	if err != nil {
		return nil, errors.New("etcd not found: apt-get install etcd-server (make test-k8s installs it)")
	}
	dir, err := os.MkdirTemp("", "wasmesh-k8stest-")
	if err != nil {
		return nil, err
	}
	env = &Env{Dir: dir}
	defer func() {
		if err != nil {
			env.Stop()
		}
	}()
	etcdURL, err := env.startEtcd(ctx, etcdBin)
	if err != nil {
		return nil, err
	}
	if err := env.startAPIServer(ctx, etcdURL); err != nil {
		return nil, err
	}
	if err := env.InstallCRDs(ctx, CRDDir()); err != nil {
		return nil, err
	}
	return env, nil
}

// Stop stops the servers (SIGTERM, then SIGKILL after 10 s) and removes
// the directory, unless K8STEST_LOG is set.
func (e *Env) Stop() {
	for i := len(e.procs) - 1; i >= 0; i-- {
		e.procs[i].stop(10 * time.Second)
	}
	e.procs = nil
	if os.Getenv("K8STEST_LOG") != "" {
		fmt.Fprintf(os.Stderr, "k8stest: logs and data kept in %s\n", e.Dir)
		return
	}
	_ = os.RemoveAll(e.Dir)
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
