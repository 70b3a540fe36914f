//go:build !unix

package proxy

import "net"

// peerClosed is not available here: clients that go away mid-request are
// noticed at the next read or write.
func peerClosed(net.Conn) bool { return false }
