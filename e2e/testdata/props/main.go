// Command props is an e2e test filter: it copies the properties Envoy
// serves into response headers (x-prop-<name>), and the environment
// variable GREETING into x-env-greeting.
package main

import (
	"encoding/binary"
	"os"
	"strconv"
	"strings"

	"github.com/wasmesh/wasmesh/sdk/proxywasm"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

func main() {}

func init() {
	proxywasm.SetPluginContext(func(uint32) types.PluginContext { return &plugin{} })
}

type plugin struct{ types.DefaultPluginContext }

func (*plugin) NewHttpContext(uint32) types.HttpContext { return &stream{} }

type stream struct{ types.DefaultHttpContext }

var stringProps = []string{"request.path", "request.url_path", "request.host", "request.method", "request.scheme",
	"request.headers.user-agent", "source.address", "destination.address", "plugin_name", "plugin_root_id",
	"plugin_vm_id", "node.id", "xds.node.id", "node.cluster", "route_name", "xds.cluster_name", "response.code_details"}

var intProps = []string{"response.code", "destination.port", "connection_id", "request.size"}

func (*stream) OnHttpResponseHeaders(int, bool) types.Action {
	for _, p := range stringProps {
		v, err := proxywasm.GetProperty(strings.Split(p, "."))
		if err != nil {
			v = []byte("error:" + err.Error())
		}
		proxywasm.AddHttpResponseHeader("x-prop-"+p, string(v))
	}
	for _, p := range intProps {
		v, err := proxywasm.GetProperty(strings.Split(p, "."))
		s := "error"
		if err == nil && len(v) == 8 {
			s = strconv.FormatUint(binary.LittleEndian.Uint64(v), 10)
		}
		proxywasm.AddHttpResponseHeader("x-prop-"+p, s)
	}
	proxywasm.AddHttpResponseHeader("x-env-greeting", os.Getenv("GREETING"))
	return types.ActionContinue
}
