package filtertest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/wasmesh/wasmesh/host"
)

// HTTPCaller runs a filter's HTTP callouts over real HTTP: each cluster
// name maps to a base URL.
type HTTPCaller struct {
	clusters map[string]string
	client   *http.Client
}

// NewHTTPCaller returns a caller for the given cluster -> base URL map.
func NewHTTPCaller(clusters map[string]string) *HTTPCaller {
	return &HTTPCaller{clusters: clusters, client: &http.Client{}}
}

// HTTPCall implements host.HTTPCaller.
func (c *HTTPCaller) HTTPCall(ctx context.Context, req *host.HTTPCallRequest, done func(*host.HTTPCallResponse, error)) error {
	base, ok := c.clusters[req.Cluster]
	if !ok {
		return fmt.Errorf("filtertest: cluster %q: %w", req.Cluster, host.ErrUnknownCluster)
	}
	method, _ := req.Headers.Get(":method")
	path, _ := req.Headers.Get(":path")
	authority, _ := req.Headers.Get(":authority")
	cancel := context.CancelFunc(func() {})
	if req.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, req.Timeout)
	}
	hr, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(base, "/")+path, bytes.NewReader(req.Body))
	if err != nil {
		cancel()
		return err
	}
	hr.Host = authority
	for i := 0; i < req.Headers.Len(); i++ {
		k, v := req.Headers.Field(i)
		if len(k) > 0 && k[0] != ':' && string(k) != "content-length" {
			hr.Header.Add(string(k), string(v))
		}
	}
	go func() {
		defer cancel()
		resp, err := c.client.Do(hr)
		if err != nil {
			done(nil, err)
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			done(nil, err)
			return
		}
		out := &host.HTTPCallResponse{Headers: &host.Headers{}, Body: body, Trailers: &host.Headers{}}
		out.Headers.Add(":status", strconv.Itoa(resp.StatusCode))
		for k, vs := range resp.Header {
			for _, v := range vs {
				out.Headers.Add(k, v)
			}
		}
		for k, vs := range resp.Trailer {
			for _, v := range vs {
				out.Trailers.Add(k, v)
			}
		}
		done(out, nil)
	}()
	return nil
}
