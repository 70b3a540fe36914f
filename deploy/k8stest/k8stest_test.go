package k8stest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestEnv starts the servers and checks that the CRDs are served and the
// kubeconfig works.
func TestEnv(t *testing.T) {
	env := Require(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != env.Config.Host {
		t.Errorf("kubeconfig server %s, want %s", cfg.Host, env.Config.Host)
	}
	dyn, err := env.Dynamic()
	if err != nil {
		t.Fatal(err)
	}
	for _, gvr := range []schema.GroupVersionResource{
		{Group: "extensions.istio.io", Version: "v1alpha1", Resource: "wasmplugins"},
		{Group: "networking.istio.io", Version: "v1alpha3", Resource: "envoyfilters"},
	} {
		if _, err := dyn.Resource(gvr).Namespace("default").List(context.Background(), metav1.ListOptions{}); err != nil {
			t.Errorf("%s: %v", gvr, err)
		}
	}
	ns := env.Namespace(t, "smoke")
	if ns == "" {
		t.Error("no namespace")
	}
}

// TestWaitReadyIsBounded: a server that exits or never gets ready fails
// with its log, without hanging.
func TestWaitReadyIsBounded(t *testing.T) {
	e := &Env{Dir: t.TempDir()}
	defer e.Stop()
	notReady := func() error { return os.ErrNotExist }

	p, err := e.spawn("crash", "/bin/sh", "-c", "echo etcd: bad flag >&2; exit 3")
	if err != nil {
		t.Fatal(err)
	}
	err = p.waitReady(context.Background(), 20*time.Second, notReady)
	if err == nil || !strings.Contains(err.Error(), "crash exited (exit status 3) before it was ready") ||
		!strings.Contains(err.Error(), "etcd: bad flag") {
		t.Errorf("crash: %v", err)
	}

	p, err = e.spawn("stuck", "/bin/sh", "-c", "echo waiting; exec sleep 60")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = p.waitReady(context.Background(), time.Second, notReady)
	if err == nil || !strings.Contains(err.Error(), "stuck not ready after 1s") || !strings.Contains(err.Error(), "waiting") {
		t.Errorf("stuck: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("waited %s", d)
	}
}
