package proxywasm

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"slices"
	"strings"
	"testing"
)

// The wasip1-only files cannot run in native tests, so these tests parse
// them and compare their //go:wasmexport and //go:wasmimport declarations
// with the ABI 0.2.1 tables (ABI doc §2.1 and §3). A signature is written as
// Wasm types: "i32,i32->i32"; "" means no parameters or no result.

var wantExports = map[string]string{
	"proxy_abi_version_0_2_1":                 "->",
	"proxy_on_memory_allocate":                "i32->i32",
	"proxy_on_context_create":                 "i32,i32->",
	"proxy_on_vm_start":                       "i32,i32->i32",
	"proxy_on_configure":                      "i32,i32->i32",
	"proxy_on_tick":                           "i32->",
	"proxy_on_queue_ready":                    "i32,i32->",
	"proxy_on_foreign_function":               "i32,i32,i32->",
	"proxy_on_new_connection":                 "i32->i32",
	"proxy_on_downstream_data":                "i32,i32,i32->i32",
	"proxy_on_upstream_data":                  "i32,i32,i32->i32",
	"proxy_on_downstream_connection_close":    "i32,i32->",
	"proxy_on_upstream_connection_close":      "i32,i32->",
	"proxy_on_request_headers":                "i32,i32,i32->i32",
	"proxy_on_request_body":                   "i32,i32,i32->i32",
	"proxy_on_request_trailers":               "i32,i32->i32",
	"proxy_on_response_headers":               "i32,i32,i32->i32",
	"proxy_on_response_body":                  "i32,i32,i32->i32",
	"proxy_on_response_trailers":              "i32,i32->i32",
	"proxy_on_http_call_response":             "i32,i32,i32,i32,i32->",
	"proxy_on_grpc_receive_initial_metadata":  "i32,i32,i32->",
	"proxy_on_grpc_receive":                   "i32,i32,i32->",
	"proxy_on_grpc_receive_trailing_metadata": "i32,i32,i32->",
	"proxy_on_grpc_close":                     "i32,i32,i32->",
	"proxy_on_done":                           "i32->i32",
	"proxy_on_log":                            "i32->",
	"proxy_on_delete":                         "i32->",
}

func i32s(n int) string { return strings.TrimSuffix(strings.Repeat("i32,", n), ",") + "->i32" }

var wantImports = map[string]string{
	"proxy_log":                          i32s(3),
	"proxy_get_log_level":                i32s(1),
	"proxy_get_current_time_nanoseconds": i32s(1),
	"proxy_set_tick_period_milliseconds": i32s(1),
	"proxy_set_effective_context":        i32s(1),
	"proxy_done":                         i32s(0),
	"proxy_call_foreign_function":        i32s(6),
	"proxy_get_buffer_bytes":             i32s(5),
	"proxy_get_buffer_status":            i32s(3),
	"proxy_set_buffer_bytes":             i32s(5),
	"proxy_get_header_map_size":          i32s(2),
	"proxy_get_header_map_pairs":         i32s(3),
	"proxy_set_header_map_pairs":         i32s(3),
	"proxy_get_header_map_value":         i32s(5),
	"proxy_add_header_map_value":         i32s(5),
	"proxy_replace_header_map_value":     i32s(5),
	"proxy_remove_header_map_value":      i32s(3),
	"proxy_continue_stream":              i32s(1),
	"proxy_close_stream":                 i32s(1),
	"proxy_send_local_response":          i32s(8),
	"proxy_get_status":                   i32s(3),
	"proxy_http_call":                    i32s(10),
	"proxy_grpc_call":                    i32s(12),
	"proxy_grpc_stream":                  i32s(9),
	"proxy_grpc_send":                    i32s(4),
	"proxy_grpc_cancel":                  i32s(1),
	"proxy_grpc_close":                   i32s(1),
	"proxy_get_shared_data":              i32s(5),
	"proxy_set_shared_data":              i32s(5),
	"proxy_register_shared_queue":        i32s(3),
	"proxy_resolve_shared_queue":         i32s(5),
	"proxy_enqueue_shared_queue":         i32s(3),
	"proxy_dequeue_shared_queue":         i32s(3),
	"proxy_define_metric":                i32s(4),
	"proxy_increment_metric":             "i32,i64->i32",
	"proxy_record_metric":                "i32,i64->i32",
	"proxy_get_metric":                   i32s(2),
	"proxy_get_property":                 i32s(4),
	"proxy_set_property":                 i32s(4),
}

// wasmType maps the Go types used in the declarations to Wasm types.
func wasmType(t *testing.T, e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return "i32" // guest pointer
	case *ast.Ident:
		switch e.Name {
		case "uint32", "int32", "bool", "Status":
			return "i32"
		case "uint64", "int64":
			return "i64"
		}
	case *ast.SelectorExpr:
		switch e.X.(*ast.Ident).Name + "." + e.Sel.Name {
		case "unsafe.Pointer", "types.Action", "types.PeerType":
			return "i32"
		}
	}
	t.Fatalf("unexpected type %T %v in a wasm declaration", e, e)
	return ""
}

func fieldTypes(t *testing.T, fl *ast.FieldList) string {
	if fl == nil {
		return ""
	}
	var out []string
	for _, f := range fl.List {
		n := max(len(f.Names), 1)
		for range n {
			out = append(out, wasmType(t, f.Type))
		}
	}
	return strings.Join(out, ",")
}

// directives returns name -> wasm signature for each function carrying the
// directive (//go:wasmexport NAME or //go:wasmimport env NAME).
func directives(t *testing.T, file, directive string) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Doc == nil {
			continue
		}
		for _, c := range fn.Doc.List {
			fields := strings.Fields(c.Text)
			if len(fields) < 2 || fields[0] != directive {
				continue
			}
			name := fields[len(fields)-1]
			if directive == "//go:wasmimport" && (len(fields) != 3 || fields[1] != "env") {
				t.Errorf("%s: import %s is not from module env", file, name)
			}
			if _, dup := got[name]; dup {
				t.Errorf("%s: %s declared twice", file, name)
			}
			got[name] = fieldTypes(t, fn.Type.Params) + "->" + fieldTypes(t, fn.Type.Results)
		}
	}
	return got
}

func compareSignatures(t *testing.T, got, want map[string]string) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[name]; !ok {
			t.Errorf("%s is missing", name)
		} else if g != want[name] {
			t.Errorf("%s has type %s, want %s", name, g, want[name])
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected %s", name)
		}
	}
}

func TestWasmExportsMatchABI(t *testing.T) {
	compareSignatures(t, directives(t, "exports_wasip1.go", "//go:wasmexport"), wantExports)
}

func TestWasmImportsMatchABI(t *testing.T) {
	compareSignatures(t, directives(t, "internal/abi/imports_wasip1.go", "//go:wasmimport"), wantImports)
}
