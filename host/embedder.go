package host

import (
	"context"
	"errors"
	"sync"
	"time"
)

// PropertyProvider serves proxy_get_property paths the host does not know
// itself. path holds the segments of the guest's NUL-separated path, e.g.
// ["request", "headers", "user-agent"]. Values use the ABI's encodings
// (doc §4.6): strings raw, integers 8 bytes little-endian, booleans one
// byte, maps and lists in the pairs format; see the Encode* helpers.
type PropertyProvider interface {
	Property(path []string) (value []byte, ok bool)
}

// PropertyFunc adapts a function to PropertyProvider.
type PropertyFunc func(path []string) ([]byte, bool)

// Property implements PropertyProvider.
func (f PropertyFunc) Property(path []string) ([]byte, bool) { return f(path) }

// FilterState holds the values guests store with proxy_set_property, shared
// by every plugin on one stream (Envoy's filter state, keys "wasm.<path>").
// The zero value is ready; it is safe for concurrent use.
type FilterState struct {
	mu sync.Mutex
	m  map[string][]byte
}

// Get returns the value stored under the raw property path.
func (f *FilterState) Get(path string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.m[path]
	return v, ok
}

// Set stores a value under the raw property path.
func (f *FilterState) Set(path string, value []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string][]byte{}
	}
	f.m[path] = value
}

// HTTPCallRequest is a callout a guest started with proxy_http_call.
type HTTPCallRequest struct {
	// Cluster is the upstream: an Envoy cluster name.
	Cluster string
	// Headers include :method, :path and :authority (checked by the host).
	Headers  *Headers
	Body     []byte
	Trailers *Headers
	// Timeout is 0 when the guest set none.
	Timeout time.Duration
}

// HTTPCallResponse is a callout's response. Failures (reset, no healthy
// upstream) are reported as an error to the done callback instead.
type HTTPCallResponse struct {
	Headers  *Headers // includes :status
	Body     []byte
	Trailers *Headers
}

// ErrUnknownCluster is returned by callers for an upstream they do not
// know; the host maps it to the status Envoy returns (BAD_ARGUMENT for
// HTTP, PARSE_FAILURE for gRPC).
var ErrUnknownCluster = errors.New("unknown cluster")

// HTTPCaller runs HTTP callouts for guests. HTTPCall must not block: it
// starts the call and returns; done is called exactly once, from any
// goroutine, unless ctx is cancelled first (the root context went away).
type HTTPCaller interface {
	HTTPCall(ctx context.Context, req *HTTPCallRequest, done func(*HTTPCallResponse, error)) error
}

// GRPCCallRequest is a gRPC call or stream a guest started.
type GRPCCallRequest struct {
	// Service is the raw service argument: a cluster name, or a
	// serialized envoy.config.core.v3.GrpcService.
	Service         []byte
	ServiceName     string
	Method          string
	InitialMetadata *Headers
	// Message is the request message of a unary call (nil for streams).
	Message []byte
	Timeout time.Duration
	Stream  bool
}

// GRPCEvents receives what a gRPC call or stream produces. Methods may be
// called from any goroutine; OnClose comes last.
type GRPCEvents interface {
	OnInitialMetadata(*Headers)
	OnMessage([]byte)
	OnTrailingMetadata(*Headers)
	OnClose(status int32, message string)
}

// GRPCStream is a started gRPC call or stream.
type GRPCStream interface {
	// Send sends a message on a stream.
	Send(msg []byte, endStream bool) error
	// Cancel cancels a call or resets a stream.
	Cancel()
	// CloseSend half-closes a stream (or cancels a unary call).
	CloseSend()
}

// GRPCCaller runs gRPC callouts for guests.
type GRPCCaller interface {
	GRPCCall(ctx context.Context, req *GRPCCallRequest, events GRPCEvents) (GRPCStream, error)
}

// ForeignFunction is a host extension a guest calls by name with
// proxy_call_foreign_function. It returns its result bytes (copied into
// the guest) and a status.
type ForeignFunction func(call *ForeignCall, args []byte) ([]byte, Status)

// ForeignCall tells a foreign function where it was called from.
type ForeignCall struct {
	// Stream is the HTTP stream of the calling context, or nil.
	Stream *HTTPStream
	// Root is the root context of the calling context, or nil during VM
	// start-up.
	Root *Root
	vm   *VM
}

// VMID returns the calling VM's vm_id.
func (c *ForeignCall) VMID() string { return c.vm.cfg.ID }
