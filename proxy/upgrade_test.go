package proxy

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// wsUpstream answers an upgrade request with 101 and then echoes every
// byte; it reports the request head it got, and closes done when the proxy
// closed an echoing connection. A request that does not ask for websocket
// gets a 400.
func wsUpstream(t *testing.T) (*rawUpstream, chan string, chan struct{}) {
	heads, done := make(chan string, 4), make(chan struct{})
	u := startRawUpstream(t, func(_ int64, c net.Conn, br *bufio.Reader) {
		var head strings.Builder
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			head.WriteString(l)
			if l == "\r\n" {
				break
			}
		}
		heads <- head.String()
		if !strings.Contains(strings.ToLower(head.String()), "upgrade: websocket\r\n") {
			_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\ncontent-length: 9\r\n\r\nno socket")
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
		_, _ = io.Copy(c, br) // echo until the proxy closes
		close(done)
	})
	return u, heads, done
}

const upgradeRequest = "GET /chat HTTP/1.1\r\nHost: a.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// TestUpgradeWebSocket: with upgrade_configs allowing websocket, the
// upgrade request goes upstream with its upgrade fields, the 101 comes
// back (through the route's response header additions), and then bytes
// flow both ways, including those the client sent right behind the
// request; closing the client closes the upstream connection.
func TestUpgradeWebSocket(t *testing.T) {
	up, heads, done := wsUpstream(t)
	srv, logs := startRouteProxy(t, []string{up.addr()}, `timeout: 0.2s`, "",
		"\n          upgrade_configs: [{ upgrade_type: WebSocket }]", "")
	c := dialRaw(t, srv)
	c.send(upgradeRequest + "early bytes;")
	resp := c.read(true)
	if resp.status() != 101 || !strings.EqualFold(resp.header["upgrade"], "websocket") || !strings.EqualFold(resp.header["connection"], "upgrade") ||
		resp.header["sec-websocket-accept"] != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("upgrade response %q %q", resp.statusLine, resp.lines)
	}
	if _, ok := resp.header["content-length"]; ok {
		t.Errorf("101 with content-length: %q", resp.lines)
	}
	head := strings.ToLower(<-heads)
	for _, want := range []string{"get /chat http/1.1\r\n", "connection: upgrade\r\n", "upgrade: websocket\r\n", "sec-websocket-key: dghlihnhbxbszsbub25jzq==\r\n"} {
		if !strings.Contains(head, want) {
			t.Errorf("upstream request head lacks %q:\n%s", want, head)
		}
	}
	// Past the route timeout (0.2s): the tunnel is not cut by it.
	time.Sleep(300 * time.Millisecond)
	c.send("more bytes")
	want := "early bytes;more bytes"
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c.br, got); err != nil || string(got) != want {
		t.Fatalf("echo %q, %v; want %q", got, err, want)
	}
	c.c.Close()
	select {
	case <-done:
	case <-time.After(ioTimeout):
		t.Error("the upstream connection stayed open after the client closed")
	}
	if l := logs.lines(t, 1)[0]; !strings.HasPrefix(l, "101 ") {
		t.Errorf("access log %q", l)
	}
}

// TestUpgradeRefused: an upgrade that no upgrade_configs allow, or that
// the route disables, gets Envoy's 403 upgrade_failed without reaching the
// upstream; a route may enable what the connection manager does not list;
// an upstream that refuses the upgrade is answered through as it is.
func TestUpgradeRefused(t *testing.T) {
	for _, c := range []struct {
		name, route, hcm string
		want             int
	}{
		{name: "no upgrade_configs", want: 403},
		{name: "another type", hcm: "\n          upgrade_configs: [{ upgrade_type: CONNECT-UDP }]", want: 403},
		{name: "disabled", hcm: "\n          upgrade_configs: [{ upgrade_type: websocket, enabled: false }]", want: 403},
		{name: "route disables", route: "upgrade_configs: [{ upgrade_type: websocket, enabled: false }]", hcm: "\n          upgrade_configs: [{ upgrade_type: websocket }]", want: 403},
		{name: "route enables", route: "upgrade_configs: [{ upgrade_type: websocket }]", want: 101},
	} {
		t.Run(c.name, func(t *testing.T) {
			up, heads, _ := wsUpstream(t)
			srv, logs := startRouteProxy(t, []string{up.addr()}, c.route, "", c.hcm, "")
			rc := dialRaw(t, srv)
			rc.send(upgradeRequest)
			if resp := rc.read(true); resp.status() != c.want {
				t.Fatalf("status %d, want %d (%q)", resp.status(), c.want, resp.lines)
			}
			if c.want == 403 {
				if l := logs.lines(t, 1)[0]; !strings.HasPrefix(l, "403 upgrade_failed ") {
					t.Errorf("access log %q", l)
				}
				select {
				case h := <-heads:
					t.Errorf("a refused upgrade reached the upstream:\n%s", h)
				default:
				}
			}
		})
	}
	t.Run("upstream refuses", func(t *testing.T) {
		up, _, _ := wsUpstream(t)
		srv, _ := startRouteProxy(t, []string{up.addr()}, "", "", "\n          upgrade_configs: [{ upgrade_type: h2c-not-really }]", "")
		rc := dialRaw(t, srv)
		rc.send(strings.Replace(upgradeRequest, "Upgrade: websocket", "Upgrade: h2c-not-really", 1))
		if resp := rc.read(false); resp.status() != 400 || resp.body != "no socket" {
			t.Errorf("got %q %q, want the upstream's 400", resp.statusLine, resp.body)
		}
	})
}
