package proxy

import (
	"encoding/binary"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/wasmesh/wasmesh/host"
)

// streamProps serves the properties Envoy offers a stream (doc §4.6):
// request.*, response.*, source.*, destination.*, connection.*, upstream.*,
// and the xds.* / legacy top-level names. Values use the ABI's encodings.
type streamProps struct {
	x         *exchange
	connID    uint64
	source    string
	dest      string
	routeName string
}

func u64(v uint64) []byte   { return binary.LittleEndian.AppendUint64(nil, v) }
func i64(v int64) []byte    { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }
func str(s string) []byte   { return []byte(s) }
func boolean(b bool) []byte { return host.EncodeBool(b) }

// Property implements host.PropertyProvider.
func (p *streamProps) Property(path []string) ([]byte, bool) {
	x := p.x
	if len(path) == 0 {
		return nil, false
	}
	switch path[0] {
	case "request":
		return p.request(path[1:])
	case "response":
		return p.response(path[1:])
	case "source", "destination":
		addr := p.source
		if path[0] == "destination" {
			addr = p.dest
		}
		return addrProp(addr, path[1:])
	case "upstream":
		return addrProp(x.upstreamAddr, path[1:])
	case "connection":
		if len(path) == 2 {
			switch path[1] {
			case "id":
				return u64(p.connID), true
			case "mtls", "requested_server_name", "tls_version":
				return tlsProperty(x.down.tlsState(), path[1])
			}
		}
		return nil, false
	case "connection_id":
		return u64(p.connID), true
	case "route_name":
		return str(p.routeName), p.routeName != ""
	case "xds":
		if len(path) >= 2 {
			switch path[1] {
			case "route_name":
				return str(p.routeName), p.routeName != ""
			case "cluster_name":
				if x.match != nil {
					return str(x.match.Cluster), true
				}
				return nil, false
			}
		}
	case "cluster_name":
		if x.match != nil {
			return str(x.match.Cluster), true
		}
		return nil, false
	}
	return x.hcm.srv.nodeProperty(path)
}

func (p *streamProps) request(path []string) ([]byte, bool) {
	h := p.x.reqHeaders
	if h == nil || len(path) == 0 {
		return nil, false
	}
	get := func(name string) ([]byte, bool) {
		v, ok := h.Get(name)
		return str(v), ok
	}
	rawPath, _ := h.Get(":path")
	switch path[0] {
	case "path":
		return get(":path")
	case "url_path":
		if i := strings.IndexByte(rawPath, '?'); i >= 0 {
			rawPath = rawPath[:i]
		}
		return str(rawPath), true
	case "query":
		if i := strings.IndexByte(rawPath, '?'); i >= 0 {
			return str(rawPath[i+1:]), true
		}
		return nil, true
	case "host":
		return get(":authority")
	case "scheme":
		return get(":scheme")
	case "method":
		return get(":method")
	case "referer":
		return get("referer")
	case "useragent":
		return get("user-agent")
	case "id":
		return get("x-request-id")
	case "protocol":
		return str(p.x.down.proto()), true
	case "time":
		return i64(p.x.start.UnixNano()), true
	case "duration":
		return i64(int64(time.Since(p.x.start))), true
	case "size":
		return i64(p.x.reqBytes), true
	case "total_size":
		return i64(p.x.reqBytes + int64(h.ByteSize())), true
	case "headers":
		return headersProp(h, path[1:])
	}
	return nil, false
}

func (p *streamProps) response(path []string) ([]byte, bool) {
	x := p.x
	if len(path) == 0 {
		return nil, false
	}
	switch path[0] {
	case "code":
		if x.respHeaders == nil {
			return nil, false
		}
		v, _ := x.respHeaders.Get(":status")
		n, _ := strconv.Atoi(v)
		return i64(int64(n)), true
	case "code_details":
		return str(x.details), true
	case "flags":
		return i64(0), true
	case "grpc_status":
		if x.respTrailers != nil {
			if v, ok := x.respTrailers.Get("grpc-status"); ok {
				n, _ := strconv.Atoi(v)
				return i64(int64(n)), true
			}
		}
		return nil, false
	case "size":
		return i64(x.respBytes), true
	case "total_size":
		n := x.respBytes
		if x.respHeaders != nil {
			n += int64(x.respHeaders.ByteSize())
		}
		return i64(n), true
	case "headers":
		if x.respHeaders == nil {
			return nil, false
		}
		return headersProp(x.respHeaders, path[1:])
	case "trailers":
		if x.respTrailers == nil {
			return nil, false
		}
		return headersProp(x.respTrailers, path[1:])
	}
	return nil, false
}

// headersProp returns the whole map (pairs format) or one header, repeated
// values joined by ",".
func headersProp(h *host.Headers, path []string) ([]byte, bool) {
	if len(path) == 0 {
		return host.EncodePairs(h), true
	}
	vs := h.Values(strings.ToLower(path[0]))
	if len(vs) == 0 {
		return nil, false
	}
	return str(strings.Join(vs, ",")), true
}

func addrProp(addr string, path []string) ([]byte, bool) {
	if addr == "" || len(path) != 1 {
		return nil, false
	}
	switch path[0] {
	case "address":
		return str(addr), true
	case "port":
		u, err := url.Parse("//" + addr)
		if err != nil {
			return nil, false
		}
		n, _ := strconv.Atoi(u.Port())
		return i64(int64(n)), true
	}
	return nil, false
}

// nodeProperty serves node / xds.node (the bootstrap's Node, serialized)
// and their fields, in every context.
func (s *Server) nodeProperty(path []string) ([]byte, bool) {
	node := s.cfg.Bootstrap.GetNode()
	if node == nil {
		return nil, false
	}
	rest := path
	switch {
	case path[0] == "node":
		rest = path[1:]
	case path[0] == "xds" && len(path) >= 2 && path[1] == "node":
		rest = path[2:]
	default:
		return nil, false
	}
	if len(rest) == 0 {
		b, err := proto.Marshal(node)
		return b, err == nil
	}
	switch rest[0] {
	case "id":
		return str(node.GetId()), true
	case "cluster":
		return str(node.GetCluster()), true
	case "metadata":
		if len(rest) == 1 {
			b, err := proto.Marshal(node.GetMetadata())
			return b, err == nil
		}
		v, ok := node.GetMetadata().GetFields()[rest[1]]
		if !ok {
			return nil, false
		}
		if s := v.GetStringValue(); s != "" {
			return str(s), true
		}
		b, err := proto.Marshal(v)
		return b, err == nil
	}
	return nil, false
}
