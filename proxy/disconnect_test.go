package proxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestClientGoneWhileUpstreamWaits: a client that closes its connection
// while its request waits on a slow upstream (route timeout disabled) gets
// its upstream request reset within a couple of seconds, logged as Envoy
// does (code 0, downstream_remote_disconnect, DC); a client that keeps
// waiting gets its late response.
func TestClientGoneWhileUpstreamWaits(t *testing.T) {
	started, upstreamGone := make(chan int64, 2), make(chan int64, 2)
	up := startRawUpstream(t, func(n int64, c net.Conn, br *bufio.Reader) {
		_ = readRawHead(br)
		started <- n
		if n == 2 { // the patient client: answer after 2.5 s
			time.Sleep(2500 * time.Millisecond)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nlate")
		}
		_, _ = io.Copy(io.Discard, br) // until the proxy closes the connection
		upstreamGone <- n
	})
	srv, logs := startRouteProxy(t, []string{up.addr()}, "timeout: 0s", "", "", "")

	c := dialRaw(t, srv)
	c.send(getReq("/slow"))
	<-started
	c.c.Close()
	select {
	case n := <-upstreamGone:
		if n != 1 {
			t.Fatalf("upstream connection %d closed", n)
		}
	case <-time.After(ioTimeout):
		t.Fatal("the upstream request went on after its client left")
	}
	if l := logs.lines(t, 1)[0]; l != "0 downstream_remote_disconnect "+up.addr()+" DC" {
		t.Errorf("access log %q", l)
	}

	patient := dialRaw(t, srv)
	patient.send(getReq("/slow"))
	<-started
	if resp := patient.read(false); resp.status() != 200 || resp.body != "late" {
		t.Errorf("the waiting client got %q %q", resp.statusLine, resp.body)
	}
}

// TestClientGoneWhileFilterWaits: a filter holding the request (the
// recorder pausing in proxy_on_request_headers) stops waiting when the
// client leaves, instead of at the stream idle timeout.
func TestClientGoneWhileFilterWaits(t *testing.T) {
	up, upReqs := startH1Upstream(t, nil)
	srv, logs := startRouteProxy(t, []string{up}, "", "", "", recorderFilter(t, "proxy_on_request_headers=1"))
	c := dialRaw(t, srv)
	c.send(getReq("/held"))
	time.Sleep(100 * time.Millisecond) // the filter holds the request
	c.c.Close()
	l := logs.lines(t, 1)[0]
	if !strings.HasPrefix(l, "0 downstream_remote_disconnect ") || !strings.HasSuffix(l, " DC") {
		t.Errorf("access log %q", l)
	}
	if n := upReqs.Load(); n != 0 {
		t.Errorf("the held request reached the upstream (%d connections)", n)
	}
}

// TestShutdownEndsHeldRequests: after the drain timeout, a request a
// filter holds does not keep Shutdown waiting for the stream idle timeout.
func TestShutdownEndsHeldRequests(t *testing.T) {
	up, _ := startH1Upstream(t, nil)
	srv, _ := startRouteProxy(t, []string{up}, "", "", "", recorderFilter(t, "proxy_on_request_headers=1"))
	c := dialRaw(t, srv)
	c.send(getReq("/held"))
	time.Sleep(100 * time.Millisecond) // the filter holds the request
	done := make(chan struct{})
	go func() { _ = srv.Shutdown(context.Background()); close(done) }()
	select {
	case <-done:
	case <-time.After(ioTimeout):
		t.Fatal("Shutdown waited for a held request past the drain timeout")
	}
	c.expectClosed()
}
