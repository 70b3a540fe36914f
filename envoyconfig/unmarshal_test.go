package envoyconfig

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestUnmarshalHelpers(t *testing.T) {
	c, err := Load("testdata/wasm_remote.yaml")
	if err != nil {
		t.Fatal(err)
	}
	filter := c.Bootstrap.GetStaticResources().GetListeners()[0].GetFilterChains()[0].GetFilters()[0]
	h, err := HCM(filter.GetTypedConfig())
	if err != nil {
		t.Fatal(err)
	}
	if h.GetStatPrefix() != "ingress_http" || len(h.GetHttpFilters()) != 2 {
		t.Errorf("HCM: %v", h)
	}
	w, err := HTTPWasm(h.GetHttpFilters()[0].GetTypedConfig())
	if err != nil {
		t.Fatal(err)
	}
	if got := w.GetConfig().GetVmConfig().GetCode().GetRemote().GetSha256(); len(got) != 64 {
		t.Errorf("sha256 %q", got)
	}
	raw, err := PluginConfiguration(w.GetConfig().GetConfiguration())
	if err != nil || string(raw) != `{"mode": "strict"}` {
		t.Errorf("configuration %q, %v", raw, err)
	}
	if _, err := TCPProxy(filter.GetTypedConfig()); err == nil || err.Error() != "envoyconfig: expected "+tcpProxyType+", got type.googleapis.com/"+hcmType {
		t.Errorf("TCPProxy on an HCM: %v", err)
	}
	var e *Error
	if _, err := NetworkWasm(nil); !errors.As(err, &e) {
		t.Errorf("NetworkWasm(nil): %v", err)
	}

	clusters := c.Bootstrap.GetStaticResources().GetClusters()
	opts, err := HTTPProtocolOptions(clusters[0])
	if err != nil || opts.GetExplicitHttpConfig().GetHttp2ProtocolOptions() == nil {
		t.Errorf("HTTPProtocolOptions: %v, %v", opts, err)
	}
	if opts, err := HTTPProtocolOptions(clusters[1]); opts != nil || err != nil {
		t.Errorf("HTTPProtocolOptions without options: %v, %v", opts, err)
	}

	n, err := Load("testdata/wasm_network.yaml")
	if err != nil {
		t.Fatal(err)
	}
	filters := n.Bootstrap.GetStaticResources().GetListeners()[0].GetFilterChains()[0].GetFilters()
	if nw, err := NetworkWasm(filters[0].GetTypedConfig()); err != nil || nw.GetConfig().GetRootId() != "tcp_root" {
		t.Errorf("NetworkWasm: %v, %v", nw, err)
	}
	if tp, err := TCPProxy(filters[1].GetTypedConfig()); err != nil || tp.GetCluster() != "web_service" {
		t.Errorf("TCPProxy: %v, %v", tp, err)
	}
}

func TestPluginConfiguration(t *testing.T) {
	st, _ := structpb.NewStruct(map[string]any{"b": []any{1, "x"}, "a": true})
	tests := []struct {
		name string
		in   *anypb.Any
		want string
	}{
		{"nil", nil, ""},
		{"empty", &anypb.Any{}, ""},
		{"string", mustNew(t, wrapperspb.String("hello world")), "hello world"},
		{"bytes", mustNew(t, wrapperspb.Bytes([]byte{0, 1, 2})), "\x00\x01\x02"},
		{"struct", mustNew(t, st), `{"a":true,"b":[1,"x"]}`},
		{"other", mustNew(t, durationpb.New(1)), "\x10\x01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PluginConfiguration(tt.in)
			if err != nil || string(got) != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	bad := &anypb.Any{TypeUrl: "type.googleapis.com/google.protobuf.StringValue", Value: []byte{0xff}}
	if _, err := PluginConfiguration(bad); err == nil {
		t.Error("no error for a corrupt StringValue")
	}
}

// mustNew wraps m in an Any.
func mustNew(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
