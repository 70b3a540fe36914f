package host

import "github.com/tetratelabs/wazero/api"

// callback indexes the guest exports the host calls.
type callback int

const (
	cbContextCreate callback = iota
	cbVMStart
	cbValidateConfiguration
	cbConfigure
	cbTick
	cbQueueReady
	cbForeignFunction
	cbNewConnection
	cbDownstreamData
	cbUpstreamData
	cbDownstreamClose
	cbUpstreamClose
	cbRequestHeaders
	cbRequestBody
	cbRequestTrailers
	cbRequestMetadata
	cbResponseHeaders
	cbResponseBody
	cbResponseTrailers
	cbResponseMetadata
	cbHTTPCallResponse
	cbGRPCInitialMetadata
	cbGRPCReceive
	cbGRPCTrailingMetadata
	cbGRPCClose
	cbDone
	cbLog
	cbDelete
	cbResolveDNS
	cbStatsUpdate
	numCallbacks
)

var callbackNames = [numCallbacks]string{
	cbContextCreate:         "proxy_on_context_create",
	cbVMStart:               "proxy_on_vm_start",
	cbValidateConfiguration: "proxy_validate_configuration",
	cbConfigure:             "proxy_on_configure",
	cbTick:                  "proxy_on_tick",
	cbQueueReady:            "proxy_on_queue_ready",
	cbForeignFunction:       "proxy_on_foreign_function",
	cbNewConnection:         "proxy_on_new_connection",
	cbDownstreamData:        "proxy_on_downstream_data",
	cbUpstreamData:          "proxy_on_upstream_data",
	cbDownstreamClose:       "proxy_on_downstream_connection_close",
	cbUpstreamClose:         "proxy_on_upstream_connection_close",
	cbRequestHeaders:        "proxy_on_request_headers",
	cbRequestBody:           "proxy_on_request_body",
	cbRequestTrailers:       "proxy_on_request_trailers",
	cbRequestMetadata:       "proxy_on_request_metadata",
	cbResponseHeaders:       "proxy_on_response_headers",
	cbResponseBody:          "proxy_on_response_body",
	cbResponseTrailers:      "proxy_on_response_trailers",
	cbResponseMetadata:      "proxy_on_response_metadata",
	cbHTTPCallResponse:      "proxy_on_http_call_response",
	cbGRPCInitialMetadata:   "proxy_on_grpc_receive_initial_metadata",
	cbGRPCReceive:           "proxy_on_grpc_receive",
	cbGRPCTrailingMetadata:  "proxy_on_grpc_receive_trailing_metadata",
	cbGRPCClose:             "proxy_on_grpc_close",
	cbDone:                  "proxy_on_done",
	cbLog:                   "proxy_on_log",
	cbDelete:                "proxy_on_delete",
	cbResolveDNS:            "envoy_on_resolve_dns",
	cbStatsUpdate:           "envoy_on_stats_update",
}

type funcType struct {
	params, results []api.ValueType
}

func i32s(n int) []api.ValueType {
	t := make([]api.ValueType, n)
	for i := range t {
		t[i] = api.ValueTypeI32
	}
	return t
}

var (
	none = []api.ValueType{}
	i32  = []api.ValueType{api.ValueTypeI32}
)

// callbackTypes are the wasm types of every callback export, ABI 0.2.x.
var callbackTypes = map[string]funcType{
	"proxy_on_memory_allocate":                {i32, i32},
	"malloc":                                  {i32, i32},
	"proxy_on_context_create":                 {i32s(2), none},
	"proxy_on_vm_start":                       {i32s(2), i32},
	"proxy_validate_configuration":            {i32s(2), i32},
	"proxy_on_configure":                      {i32s(2), i32},
	"proxy_on_tick":                           {i32s(1), none},
	"proxy_on_queue_ready":                    {i32s(2), none},
	"proxy_on_foreign_function":               {i32s(3), none},
	"proxy_on_new_connection":                 {i32s(1), i32},
	"proxy_on_downstream_data":                {i32s(3), i32},
	"proxy_on_upstream_data":                  {i32s(3), i32},
	"proxy_on_downstream_connection_close":    {i32s(2), none},
	"proxy_on_upstream_connection_close":      {i32s(2), none},
	"proxy_on_request_headers":                {i32s(3), i32},
	"proxy_on_request_body":                   {i32s(3), i32},
	"proxy_on_request_trailers":               {i32s(2), i32},
	"proxy_on_request_metadata":               {i32s(2), i32},
	"proxy_on_response_headers":               {i32s(3), i32},
	"proxy_on_response_body":                  {i32s(3), i32},
	"proxy_on_response_trailers":              {i32s(2), i32},
	"proxy_on_response_metadata":              {i32s(2), i32},
	"proxy_on_http_call_response":             {i32s(5), none},
	"proxy_on_grpc_receive_initial_metadata":  {i32s(3), none},
	"proxy_on_grpc_receive":                   {i32s(3), none},
	"proxy_on_grpc_receive_trailing_metadata": {i32s(3), none},
	"proxy_on_grpc_close":                     {i32s(3), none},
	"proxy_on_done":                           {i32s(1), i32},
	"proxy_on_log":                            {i32s(1), none},
	"proxy_on_delete":                         {i32s(1), none},
	"envoy_on_resolve_dns":                    {i32s(3), none},
	"envoy_on_stats_update":                   {i32s(2), none},
	"_initialize":                             {none, none},
	"_start":                                  {none, none},
	"main":                                    {i32s(2), i32},
	"__main_void":                             {none, i32},
}

// callbackType returns the wasm type a known export must have in the given
// ABI; ok is false for exports the host does not call.
func callbackType(abi ABIVersion, name string) (funcType, bool) {
	if abi == ABI010 && (name == "proxy_on_request_headers" || name == "proxy_on_response_headers") {
		return funcType{i32s(2), i32}, true
	}
	if abi == ABI010 && name == "proxy_on_foreign_function" {
		return funcType{}, false
	}
	t, ok := callbackTypes[name]
	return t, ok
}
