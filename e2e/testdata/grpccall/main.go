// Command grpccall is an e2e test filter: on request headers it sends the
// request's x-grpc-message header as a raw message to /test.Echo/Echo on
// the "grpc" cluster, pauses, and resumes when the call closes, passing
// the reply and the status upstream and back in headers.
package main

import (
	"strconv"

	"github.com/wasmesh/wasmesh/sdk/proxywasm"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

func main() {}

func init() {
	proxywasm.SetPluginContext(func(uint32) types.PluginContext { return &plugin{} })
}

type plugin struct{ types.DefaultPluginContext }

func (*plugin) NewHttpContext(uint32) types.HttpContext { return &stream{} }

type stream struct {
	types.DefaultHttpContext
	types.DefaultGrpcCallHandler
	reply, status string
}

func (s *stream) OnHttpRequestHeaders(int, bool) types.Action {
	msg, _ := proxywasm.GetHttpRequestHeader("x-grpc-message")
	_, err := proxywasm.GrpcCall("grpc", "test.Echo", "Echo", [][2]string{{"x-from", "wasm"}}, []byte(msg), 2000, s)
	if err != nil {
		proxywasm.SendHttpResponse(500, nil, []byte("grpc call: "+err.Error()), -1)
		return types.ActionPause
	}
	return types.ActionPause
}

func (s *stream) OnGrpcReceive(_ uint32, size int) {
	b, _ := proxywasm.GetGrpcReceiveMessage(0, size)
	s.reply = string(b)
}

func (s *stream) OnGrpcClose(_ uint32, code uint32) {
	s.status = strconv.Itoa(int(code))
	proxywasm.AddHttpRequestHeader("x-grpc-reply", s.reply)
	proxywasm.AddHttpRequestHeader("x-grpc-status", s.status)
	proxywasm.ResumeHttpRequest()
}

func (s *stream) OnHttpResponseHeaders(int, bool) types.Action {
	proxywasm.AddHttpResponseHeader("x-grpc-reply", s.reply)
	proxywasm.AddHttpResponseHeader("x-grpc-status", s.status)
	return types.ActionContinue
}
