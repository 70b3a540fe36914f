package host

import (
	"context"
	"fmt"
	"strings"

	"github.com/tetratelabs/wazero/api"
)

// abiSet is a set of ABI versions a host function is linked for.
type abiSet uint8

const (
	abi010 abiSet = 1 << ABI010
	abi02x abiSet = 1<<ABI020 | 1<<ABI021
	abi021 abiSet = 1 << ABI021
	abiAll abiSet = abi010 | abi02x
)

func (s abiSet) has(v ABIVersion) bool { return s&(1<<v) != 0 }

func (s abiSet) String() string {
	var vs []string
	for _, v := range []ABIVersion{ABI010, ABI020, ABI021} {
		if s.has(v) {
			vs = append(vs, v.String())
		}
	}
	return strings.Join(vs, "/")
}

// hostFunc is one import the host provides.
type hostFunc struct {
	name            string
	params, results []api.ValueType
	abis            abiSet
	fn              api.GoModuleFunc
}

// i64 marks an i64 parameter among i32s.
var i64 = api.ValueTypeI64

func sig(params ...api.ValueType) []api.ValueType { return params }

// envFuncs is the env module: every host function of doc §3, linked per ABI
// version as the reference host does, plus the emscripten and Envoy extras.
var envFuncs = []hostFunc{
	{"proxy_log", i32s(3), i32, abiAll, proxyLog},
	{"proxy_get_log_level", i32s(1), i32, abi021, proxyGetLogLevel},
	{"proxy_get_current_time_nanoseconds", i32s(1), i32, abiAll, proxyGetCurrentTimeNanoseconds},
	{"proxy_set_tick_period_milliseconds", i32s(1), i32, abiAll, proxySetTickPeriodMilliseconds},
	{"proxy_set_effective_context", i32s(1), i32, abiAll, proxySetEffectiveContext},
	{"proxy_done", none, i32, abiAll, proxyDone},
	{"proxy_call_foreign_function", i32s(6), i32, abiAll, proxyCallForeignFunction},
	{"proxy_get_configuration", i32s(2), i32, abi010, proxyGetConfiguration},
	{"proxy_get_buffer_bytes", i32s(5), i32, abiAll, proxyGetBufferBytes},
	{"proxy_get_buffer_status", i32s(3), i32, abiAll, proxyGetBufferStatus},
	{"proxy_set_buffer_bytes", i32s(5), i32, abiAll, proxySetBufferBytes},
	{"proxy_get_header_map_size", i32s(2), i32, abiAll, proxyGetHeaderMapSize},
	{"proxy_get_header_map_pairs", i32s(3), i32, abiAll, proxyGetHeaderMapPairs},
	{"proxy_set_header_map_pairs", i32s(3), i32, abiAll, proxySetHeaderMapPairs},
	{"proxy_get_header_map_value", i32s(5), i32, abiAll, proxyGetHeaderMapValue},
	{"proxy_add_header_map_value", i32s(5), i32, abiAll, proxyAddHeaderMapValue},
	{"proxy_replace_header_map_value", i32s(5), i32, abiAll, proxyReplaceHeaderMapValue},
	{"proxy_remove_header_map_value", i32s(3), i32, abiAll, proxyRemoveHeaderMapValue},
	{"proxy_continue_stream", i32s(1), i32, abi02x, proxyContinueStream},
	{"proxy_close_stream", i32s(1), i32, abi02x, proxyCloseStream},
	{"proxy_continue_request", none, i32, abi010, proxyContinueRequest},
	{"proxy_continue_response", none, i32, abi010, proxyContinueResponse},
	{"proxy_clear_route_cache", none, i32, abi010, proxyClearRouteCache},
	{"proxy_send_local_response", i32s(8), i32, abiAll, proxySendLocalResponse},
	{"proxy_get_status", i32s(3), i32, abiAll, proxyGetStatus},
	{"proxy_http_call", i32s(10), i32, abiAll, proxyHTTPCall},
	{"proxy_grpc_call", i32s(12), i32, abiAll, proxyGRPCCall},
	{"proxy_grpc_stream", i32s(9), i32, abiAll, proxyGRPCStream},
	{"proxy_grpc_send", i32s(4), i32, abiAll, proxyGRPCSend},
	{"proxy_grpc_cancel", i32s(1), i32, abiAll, proxyGRPCCancel},
	{"proxy_grpc_close", i32s(1), i32, abiAll, proxyGRPCClose},
	{"proxy_get_shared_data", i32s(5), i32, abiAll, proxyGetSharedData},
	{"proxy_set_shared_data", i32s(5), i32, abiAll, proxySetSharedData},
	{"proxy_register_shared_queue", i32s(3), i32, abiAll, proxyRegisterSharedQueue},
	{"proxy_resolve_shared_queue", i32s(5), i32, abiAll, proxyResolveSharedQueue},
	{"proxy_enqueue_shared_queue", i32s(3), i32, abiAll, proxyEnqueueSharedQueue},
	{"proxy_dequeue_shared_queue", i32s(3), i32, abiAll, proxyDequeueSharedQueue},
	{"proxy_define_metric", i32s(4), i32, abiAll, proxyDefineMetric},
	{"proxy_increment_metric", sig(api.ValueTypeI32, i64), i32, abiAll, proxyIncrementMetric},
	{"proxy_record_metric", sig(api.ValueTypeI32, i64), i32, abiAll, proxyRecordMetric},
	{"proxy_get_metric", i32s(2), i32, abiAll, proxyGetMetric},
	{"proxy_get_property", i32s(4), i32, abiAll, proxyGetProperty},
	{"proxy_set_property", i32s(4), i32, abiAll, proxySetProperty},
	{"emscripten_notify_memory_growth", i32s(1), none, abiAll, emscriptenNotifyMemoryGrowth},
	{"pthread_equal", i32s(2), i32, abiAll, pthreadEqual},
	{"envoy_resolve_dns", i32s(3), i32, abiAll, envoyResolveDNS},
	{"abort", i32s(4), none, abiAll, asAbort},
}

var i32i64i32 = sig(api.ValueTypeI32, i64, api.ValueTypeI32)

// wasiFuncs is WASI preview1 as the reference host provides it (doc §5.1).
var wasiFuncs = []hostFunc{
	{"fd_write", i32s(4), i32, abiAll, wasiFdWrite},
	{"fd_pwrite", sig(api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, i64, api.ValueTypeI32), i32, abiAll, wasiFdPwrite},
	{"fd_read", i32s(4), i32, abiAll, wasiConst(errnoNosys, -1)},
	{"fd_pread", sig(api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, i64, api.ValueTypeI32), i32, abiAll, wasiConst(errnoNosys, -1)},
	{"fd_seek", sig(api.ValueTypeI32, i64, api.ValueTypeI32, api.ValueTypeI32), i32, abiAll, wasiLoggedSuccess("fd_seek")},
	{"fd_close", i32s(1), i32, abiAll, wasiLoggedSuccess("fd_close")},
	{"fd_fdstat_get", i32s(2), i32, abiAll, wasiFdFdstatGet},
	{"fd_fdstat_set_flags", i32s(2), i32, abiAll, wasiConst(errnoNosys, -1)},
	{"fd_fdstat_set_rights", sig(api.ValueTypeI32, i64, i64), i32, abiAll, wasiStdioOK},
	{"fd_prestat_get", i32s(2), i32, abiAll, wasiConst(errnoBadf, -1)},
	{"fd_prestat_dir_name", i32s(3), i32, abiAll, wasiConst(errnoNosys, -1)},
	{"fd_filestat_get", i32s(2), i32, abiAll, wasiConst(errnoBadf, -1)},
	{"fd_filestat_set_size", sig(api.ValueTypeI32, i64), i32, abiAll, wasiStdioOK},
	{"fd_filestat_set_times", sig(api.ValueTypeI32, i64, i64, api.ValueTypeI32), i32, abiAll, wasiStdioOK},
	{"fd_advise", sig(api.ValueTypeI32, i64, i64, api.ValueTypeI32), i32, abiAll, wasiConst(errnoSuccess, -1)},
	{"fd_allocate", sig(api.ValueTypeI32, i64, i64), i32, abiAll, wasiStdioOK},
	{"fd_datasync", i32s(1), i32, abiAll, wasiStdioOK},
	{"fd_sync", i32s(1), i32, abiAll, wasiStdioOK},
	{"fd_tell", i32s(2), i32, abiAll, wasiFdTell},
	{"fd_readdir", sig(api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, i64, api.ValueTypeI32), i32, abiAll, wasiConst(errnoNotdir, 4)},
	{"fd_renumber", i32s(2), i32, abiAll, wasiFdRenumber},
	{"path_open", sig(api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, i64, i64, api.ValueTypeI32, api.ValueTypeI32), i32, abiAll, wasiConst(errnoNoent, -1)},
	{"path_filestat_get", i32s(5), i32, abiAll, wasiConst(errnoNotsup, -1)},
	{"path_create_directory", i32s(3), i32, abiAll, wasiConst(errnoNotsup, -1)},
	{"path_filestat_set_times", sig(api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, i64, i64, api.ValueTypeI32), i32, abiAll, wasiConst(errnoNotsup, -1)},
	{"path_link", i32s(7), i32, abiAll, wasiConst(errnoNotsup, -1)},
	{"path_readlink", i32s(6), i32, abiAll, wasiConst(errnoNotsup, 5)},
	{"path_remove_directory", i32s(3), i32, abiAll, wasiConst(errnoNotsup, -1)},
	{"path_rename", i32s(6), i32, abiAll, wasiConst(errnoNotsup, -1)},
	{"path_symlink", i32s(5), i32, abiAll, wasiConst(errnoNotsup, -1)},
	{"path_unlink_file", i32s(3), i32, abiAll, wasiConst(errnoNotsup, -1)},
	{"sock_accept", i32s(3), i32, abiAll, wasiConst(errnoNotsup, 2)},
	{"sock_recv", i32s(6), i32, abiAll, wasiSockRecv},
	{"sock_send", i32s(5), i32, abiAll, wasiConst(errnoNotsup, 4)},
	{"sock_shutdown", i32s(2), i32, abiAll, wasiConst(errnoNotsup, -1)},
	{"environ_sizes_get", i32s(2), i32, abiAll, wasiEnvironSizesGet},
	{"environ_get", i32s(2), i32, abiAll, wasiEnvironGet},
	{"args_sizes_get", i32s(2), i32, abiAll, wasiArgsSizesGet},
	{"args_get", i32s(2), i32, abiAll, wasiConst(errnoSuccess, -1)},
	{"clock_time_get", i32i64i32, i32, abiAll, wasiClockTimeGet},
	{"clock_res_get", i32s(2), i32, abiAll, wasiClockResGet},
	{"random_get", i32s(2), i32, abiAll, wasiRandomGet},
	{"sched_yield", none, i32, abiAll, wasiConst(errnoSuccess, -1)},
	{"poll_oneoff", i32s(4), i32, abiAll, wasiPollOneoff},
	{"proc_exit", i32s(1), none, abiAll, wasiProcExit},
}

// wasiModules are the names WASI is registered under.
var wasiModules = []string{"wasi_snapshot_preview1", "wasi_unstable"}

// yieldFunc is the import instrumented modules call (interrupt.go); it is
// not part of any ABI.
var yieldFunc = hostFunc{yieldName, none, none, abiAll, wasmeshYield}

var importIndex = func() map[string]*hostFunc {
	idx := map[string]*hostFunc{yieldModule + "." + yieldName: &yieldFunc}
	for i := range envFuncs {
		idx["env."+envFuncs[i].name] = &envFuncs[i]
	}
	for _, mod := range wasiModules {
		for i := range wasiFuncs {
			idx[mod+"."+wasiFuncs[i].name] = &wasiFuncs[i]
		}
	}
	return idx
}()

func lookupImport(mod, name string) (*hostFunc, bool) {
	f, ok := importIndex[mod+"."+name]
	return f, ok
}

// instantiateHostModules installs env and both WASI modules in the runtime.
func (r *Runtime) instantiateHostModules(ctx context.Context) error {
	install := func(mod string, funcs []hostFunc) error {
		b := r.wz.NewHostModuleBuilder(mod)
		for _, f := range funcs {
			b.NewFunctionBuilder().WithGoModuleFunction(f.fn, f.params, f.results).WithName(f.name).Export(f.name)
		}
		if _, err := b.Instantiate(ctx); err != nil {
			return fmt.Errorf("host: install %s: %w", mod, err)
		}
		return nil
	}
	if err := install("env", envFuncs); err != nil {
		return err
	}
	if err := install(yieldModule, []hostFunc{yieldFunc}); err != nil {
		return err
	}
	for _, mod := range wasiModules {
		if err := install(mod, wasiFuncs); err != nil {
			return err
		}
	}
	return nil
}

// Import describes one function the host provides, for compatibility
// reports (wasmesh inspect and validate).
type Import struct {
	Module, Name string
	Params       []api.ValueType
	Results      []api.ValueType
	// ABIs lists the ABI versions the import is linked for.
	ABIs []ABIVersion
}

// Imports returns every function import this host provides.
func Imports() []Import {
	var out []Import
	add := func(mod string, f hostFunc) {
		imp := Import{Module: mod, Name: f.name, Params: f.params, Results: f.results}
		for _, v := range []ABIVersion{ABI010, ABI020, ABI021} {
			if f.abis.has(v) {
				imp.ABIs = append(imp.ABIs, v)
			}
		}
		out = append(out, imp)
	}
	for _, f := range envFuncs {
		add("env", f)
	}
	for _, mod := range wasiModules {
		for _, f := range wasiFuncs {
			add(mod, f)
		}
	}
	return out
}
