package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

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
	hr, err := upstreamRequest(ctx, req.Headers, req.Body, req.Trailers)
	if err != nil {
		return fmt.Errorf("proxy: callout: %w", err)
	}
	cancel := context.CancelFunc(func() {})
	if req.Timeout > 0 {
		var tctx context.Context
		tctx, cancel = context.WithTimeout(ctx, req.Timeout)
		hr = hr.WithContext(tctx)
	}
	go func() {
		defer cancel()
		resp, err := cl.RoundTrip(hr)
		if err != nil {
			if ctx.Err() != nil {
				return // the root context went away: no callback
			}
			done(routerReply(hr.Context(), err), nil)
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			done(nil, err)
			return
		}
		out := &host.HTTPCallResponse{Headers: responseHeaders(resp), Body: body}
		if len(resp.Trailer) > 0 {
			out.Trailers = trailerHeaders(resp.Trailer)
		}
		done(out, nil)
	}()
	return nil
}

// routerReply is the local reply Envoy's router gives for an upstream
// failure.
func routerReply(ctx context.Context, err error) *host.HTTPCallResponse {
	status, body := 503, "upstream connect error or disconnect/reset before headers. reset reason: connection failure"
	var ce *cluster.Error
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
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
