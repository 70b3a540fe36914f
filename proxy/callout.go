package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/wasmesh/wasmesh/host"
	"github.com/wasmesh/wasmesh/proxy/cluster"
)

// calloutCaller runs guests' HTTP callouts through the named cluster, as
// Envoy's async client does: upstream failures and timeouts arrive as the
// router's local replies (503, 504), which the guest sees as responses.
type calloutCaller struct{ s *Server }

// HTTPCall implements host.HTTPCaller.
func (c *calloutCaller) HTTPCall(ctx context.Context, req *host.HTTPCallRequest, done func(*host.HTTPCallResponse, error)) error {
	cl := c.s.clusters.Cluster(req.Cluster)
	if cl == nil {
		return fmt.Errorf("proxy: callout to cluster %q: %w", req.Cluster, host.ErrUnknownCluster)
	}
	r := &cluster.Request{Headers: req.Headers, Body: req.Body, Trailers: req.Trailers}
	if req.Timeout > 0 {
		r.Deadline = time.Now().Add(req.Timeout)
	}
	go func() {
		resp := &host.Headers{}
		body, _, err := cl.Send(ctx, r, resp)
		if err != nil {
			if ctx.Err() != nil {
				return // the root context went away: no callback
			}
			done(routerReply(err), nil)
			return
		}
		defer body.Close()
		data, err := io.ReadAll(body)
		if err != nil {
			done(nil, err)
			return
		}
		out := &host.HTTPCallResponse{Headers: resp, Body: data}
		if t := body.Trailers(); t != nil && t.Len() > 0 {
			out.Trailers = t.Clone()
		}
		done(out, nil)
	}()
	return nil
}

// routerReply is the local reply Envoy's router gives for an upstream
// failure.
func routerReply(err error) *host.HTTPCallResponse {
	status, body := 503, "upstream connect error or disconnect/reset before headers. reset reason: connection failure"
	var ce *cluster.Error
	switch {
	case errors.As(err, &ce) && ce.Kind == cluster.Timeout:
		status, body = 504, "upstream request timeout"
	case errors.As(err, &ce) && ce.Kind == cluster.NoHealthyUpstream:
		body = "no healthy upstream"
	case errors.As(err, &ce) && ce.Reason != "":
		body = "upstream connect error or disconnect/reset before headers. reset reason: " + ce.Reason
	}
	h := &host.Headers{}
	h.Add(":status", strconv.Itoa(status))
	h.Add("content-length", strconv.Itoa(len(body)))
	h.Add("content-type", "text/plain")
	return &host.HTTPCallResponse{Headers: h, Body: bytes.Clone([]byte(body))}
}
