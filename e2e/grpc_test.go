package e2e

import (
	"net"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// rawBytes passes messages through, so the test server needs no protos.
type rawBytes struct{}

func (rawBytes) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (rawBytes) Unmarshal(b []byte, v any) error {
	*v.(*[]byte) = append([]byte(nil), b...)
	return nil
}
func (rawBytes) Name() string { return "proto" }

// A gRPC callout from a filter to a real grpc-go server through a cluster
// (HTTP/2): message, metadata and status reach the guest.
func TestGRPCCallout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:18084")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.ForceServerCodec(rawBytes{}), grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(stream)
		md, _ := metadata.FromIncomingContext(stream.Context())
		var in []byte
		if err := stream.RecvMsg(&in); err != nil {
			return err
		}
		if method != "/test.Echo/Echo" || len(md.Get("x-from")) == 0 {
			return status.Errorf(codes.InvalidArgument, "method %s metadata %v", method, md)
		}
		if string(in) == "fail" {
			return status.Error(codes.PermissionDenied, "no")
		}
		out := append([]byte("echo:"), in...)
		return stream.SendMsg(&out)
	}))
	go srv.Serve(ln)
	defer srv.Stop()
	dir := t.TempDir()
	buildTestFilter(t, "grpccall", filepath.Join(dir, "g.wasm"))
	echoServer(t, "127.0.0.1:18080")
	cfg := withCluster(hcmConfig(wasmFilter("grpc", "./g.wasm", "")), `
  - name: grpc
    connect_timeout: 1s
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }
    load_assignment:
      cluster_name: grpc
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 18084 } } } }] }]`)
	writeConfigIn(t, dir, cfg)
	p := start(t, dir, "envoy", "-c", "envoy.yaml")
	resp, body := get(t, "http://127.0.0.1:10000/", "x-grpc-message", "hi")
	if resp.Header.Get("x-grpc-reply") != "echo:hi" || resp.Header.Get("x-grpc-status") != "0" {
		t.Fatalf("status %d headers %v body %s", resp.StatusCode, resp.Header, body)
	}
	resp, _ = get(t, "http://127.0.0.1:10000/", "x-grpc-message", "fail")
	if resp.Header.Get("x-grpc-status") != "7" {
		t.Fatalf("status header %q, want 7 (PERMISSION_DENIED)", resp.Header.Get("x-grpc-status"))
	}
	p.stop()
}
