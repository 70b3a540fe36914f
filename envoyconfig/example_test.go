package envoyconfig_test

import (
	"fmt"

	"github.com/wasmesh/wasmesh/envoyconfig"
)

func ExampleParse() {
	_, err := envoyconfig.Parse([]byte(`
static_resources:
  clusters:
  - name: web_service
    connect_timeout: 1s
    lb_policy: MAGLEV
    per_connection_buffer_limit_bytes: 32768
`), "envoy.yaml")
	fmt.Println(err)
	// Output:
	// envoy.yaml: static_resources.clusters[0].lb_policy: unsupported value MAGLEV (supported: ROUND_ROBIN, RANDOM, LEAST_REQUEST)
}

func ExamplePluginConfiguration() {
	c, err := envoyconfig.Load("testdata/wasm_http.yaml")
	if err != nil {
		panic(err)
	}
	filter := c.Bootstrap.GetStaticResources().GetListeners()[0].GetFilterChains()[0].GetFilters()[0]
	hcm, _ := envoyconfig.HCM(filter.GetTypedConfig())
	wasm, _ := envoyconfig.HTTPWasm(hcm.GetHttpFilters()[0].GetTypedConfig())
	conf, _ := envoyconfig.PluginConfiguration(wasm.GetConfig().GetConfiguration())
	fmt.Printf("%s %s %q\n", wasm.GetConfig().GetRootId(), wasm.GetConfig().GetVmConfig().GetCode().GetLocal().GetFilename(), conf)
	// Output:
	// my_root_id ./filter.wasm "world"
}
