//go:build !wasip1

package abi

import "sync"

var (
	hostMu      sync.Mutex
	currentHost Host
)

// SetHost installs h as the host that the Proxy* functions forward to in
// native builds and returns a function that restores the previous one. It is
// meant for tests.
func SetHost(h Host) (restore func()) {
	hostMu.Lock()
	defer hostMu.Unlock()
	prev := currentHost
	currentHost = h
	return func() {
		hostMu.Lock()
		defer hostMu.Unlock()
		currentHost = prev
	}
}

func host(name string) Host {
	hostMu.Lock()
	h := currentHost
	hostMu.Unlock()
	if h == nil {
		panic("proxywasm: host function " + name + " needs a Proxy-Wasm host: " +
			"build the filter with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared")
	}
	return h
}
