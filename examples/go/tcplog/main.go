// Command tcplog is a Proxy-Wasm network (TCP) filter: it logs each
// connection and the bytes it carries, and prefixes every chunk the client
// sends with the plugin configuration (default none), so a test can see the
// filter act on the data. See README.md.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o tcplog.wasm .
package main

import (
	"github.com/wasmesh/wasmesh/sdk/proxywasm"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

func main() {}

func init() {
	proxywasm.SetPluginContext(func(uint32) types.PluginContext { return &plugin{} })
}

type plugin struct {
	types.DefaultPluginContext
	prefix []byte
}

func (p *plugin) OnPluginStart(int) types.OnPluginStartStatus {
	p.prefix, _ = proxywasm.GetPluginConfiguration()
	return types.OnPluginStartStatusOK
}

func (p *plugin) NewTcpContext(id uint32) types.TcpContext { return &conn{id: id, prefix: p.prefix} }

type conn struct {
	types.DefaultTcpContext
	id       uint32
	prefix   []byte
	down, up int
}

func (c *conn) OnNewConnection() types.Action {
	addr, _ := proxywasm.GetProperty([]string{"source", "address"})
	proxywasm.LogInfof("tcplog: new connection %d from %s", c.id, addr)
	return types.ActionContinue
}

func (c *conn) OnDownstreamData(size int, eos bool) types.Action {
	c.down += size
	if size > 0 && len(c.prefix) > 0 {
		if err := proxywasm.PrependDownstreamData(c.prefix); err != nil {
			proxywasm.LogErrorf("tcplog: prepend: %v", err)
		}
	}
	return types.ActionContinue
}

func (c *conn) OnUpstreamData(size int, eos bool) types.Action {
	c.up += size
	return types.ActionContinue
}

func (c *conn) OnStreamDone() {
	proxywasm.LogInfof("tcplog: connection %d closed: %d bytes from the client, %d from the upstream", c.id, c.down, c.up)
}
