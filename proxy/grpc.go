package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/wasmesh/wasmesh/host"
)

// grpcCaller runs guests' gRPC calls and streams to a cluster with
// grpc-go, messages passed as raw bytes (the guest serializes them).
type grpcCaller struct {
	s     *Server
	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
}

// rawCodec passes messages through untouched.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	if b, ok := v.(*[]byte); ok {
		return *b, nil
	}
	return nil, fmt.Errorf("raw codec: %T", v)
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("raw codec: %T", v)
	}
	*b = append((*b)[:0], data...)
	return nil
}

func (rawCodec) Name() string { return "proto" }

var _ encoding.Codec = rawCodec{}

// clusterName reads the service argument: a serialized GrpcService with an
// envoy_grpc cluster, or a plain cluster name.
func clusterName(service []byte) string {
	var gs corev3.GrpcService
	if err := proto.Unmarshal(service, &gs); err == nil {
		if c := gs.GetEnvoyGrpc().GetClusterName(); c != "" {
			return c
		}
	}
	return string(service)
}

func (g *grpcCaller) conn(name string) (*grpc.ClientConn, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c := g.conns[name]; c != nil {
		return c, nil
	}
	cl := g.s.clusters.Cluster(name)
	if cl == nil {
		return nil, fmt.Errorf("proxy: grpc cluster %q: %w", name, host.ErrUnknownCluster)
	}
	c, err := grpc.NewClient("passthrough:///"+name,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			conn, _, err := cl.Dial(ctx)
			return conn, err
		}),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})),
	)
	if err != nil {
		return nil, err
	}
	if g.conns == nil {
		g.conns = map[string]*grpc.ClientConn{}
	}
	g.conns[name] = c
	return c, nil
}

func (g *grpcCaller) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range g.conns {
		c.Close()
	}
}

// GRPCCall implements host.GRPCCaller.
func (g *grpcCaller) GRPCCall(ctx context.Context, req *host.GRPCCallRequest, ev host.GRPCEvents) (host.GRPCStream, error) {
	conn, err := g.conn(clusterName(req.Service))
	if err != nil {
		return nil, err
	}
	md := metadata.MD{}
	for i := 0; i < req.InitialMetadata.Len(); i++ {
		k, v := req.InitialMetadata.Field(i)
		md.Append(string(k), string(v))
	}
	ctx = metadata.NewOutgoingContext(ctx, md)
	cancel := context.CancelFunc(func() {})
	if req.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, req.Timeout)
	}
	ctx, cancelAll := context.WithCancel(ctx)
	method := "/" + req.ServiceName + "/" + req.Method
	st, err := conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: req.Stream, ServerStreams: true}, method)
	if err != nil {
		cancel()
		cancelAll()
		return nil, err
	}
	s := &grpcStream{st: st, cancel: func() { cancelAll(); cancel() }}
	if !req.Stream {
		if err := st.SendMsg(&req.Message); err != nil {
			s.cancel()
			return nil, err
		}
		st.CloseSend()
	}
	go s.receive(ev)
	return s, nil
}

type grpcStream struct {
	st     grpc.ClientStream
	cancel func()
	mu     sync.Mutex
}

func (s *grpcStream) receive(ev host.GRPCEvents) {
	defer s.cancel()
	if md, err := s.st.Header(); err == nil && len(md) > 0 {
		ev.OnInitialMetadata(mdHeaders(md))
	}
	for {
		var msg []byte
		err := s.st.RecvMsg(&msg)
		if err != nil {
			if tr := s.st.Trailer(); len(tr) > 0 {
				ev.OnTrailingMetadata(mdHeaders(tr))
			}
			if errors.Is(err, io.EOF) {
				ev.OnClose(0, "")
				return
			}
			st := status.Convert(err)
			ev.OnClose(int32(st.Code()), st.Message())
			return
		}
		ev.OnMessage(msg)
	}
}

func mdHeaders(md metadata.MD) *host.Headers {
	h := &host.Headers{}
	for k, vs := range md {
		for _, v := range vs {
			h.Add(strings.ToLower(k), v)
		}
	}
	return h
}

func (s *grpcStream) Send(msg []byte, endStream bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.st.SendMsg(&msg); err != nil {
		return err
	}
	if endStream {
		return s.st.CloseSend()
	}
	return nil
}

func (s *grpcStream) Cancel() { s.cancel() }

func (s *grpcStream) CloseSend() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.CloseSend()
}
