package route

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// RetryPolicy is a route's retry_policy (or its virtual host's, when the
// route has none): when Envoy's router sends a request again, how often and
// how long it waits in between. The route timeout bounds all attempts and
// the waits together.
type RetryPolicy struct {
	// On is the set of retry_on conditions.
	On RetryOn
	// NumRetries is the number of retries after the first attempt (1
	// when num_retries is unset).
	NumRetries int
	// PerTryTimeout, if not zero, bounds each attempt until its response
	// headers arrive; an attempt that times out counts as a reset.
	PerTryTimeout time.Duration
	// StatusCodes are the retriable_status_codes (with
	// retriable-status-codes).
	StatusCodes []int
	// BaseInterval and MaxInterval bound the back-off: 25ms and 10 times
	// the base interval when retry_back_off is unset.
	BaseInterval, MaxInterval time.Duration
	// OtherHosts prefers, for a retry, an endpoint not tried yet
	// (envoy.retry_host_predicates.previous_hosts): the load balancer picks
	// again at most Reselections times (host_selection_retry_max_attempts,
	// default 1), then the last pick stands.
	OtherHosts   bool
	Reselections int
}

// RetryOn is a set of retry_on conditions.
type RetryOn uint32

// The retry_on conditions (x-envoy-retry-on and x-envoy-retry-grpc-on
// values).
const (
	Retry5xx                   RetryOn = 1 << iota // a 5xx response, a reset, a connect failure, a per-try timeout
	RetryGatewayError                              // a 502, 503 or 504 response, a reset, a connect failure, a per-try timeout
	RetryReset                                     // a reset (no response), a connect failure, a per-try timeout
	RetryResetBeforeRequest                        // a connect failure (the request was not sent)
	RetryConnectFailure                            // a connect failure
	RetryRetriable4xx                              // a 409 response
	RetryRefusedStream                             // an HTTP/2 REFUSED_STREAM reset
	RetryRetriableStatusCodes                      // a response status in StatusCodes
	RetryEnvoyRateLimited                          // a response with x-envoy-ratelimited
	RetryGRPCCancelled                             // grpc-status 1 in the response headers
	RetryGRPCDeadlineExceeded                      // grpc-status 4
	RetryGRPCResourceExhausted                     // grpc-status 8
	RetryGRPCInternal                              // grpc-status 13
	RetryGRPCUnavailable                           // grpc-status 14
)

var retryOnNames = map[string]RetryOn{
	"5xx":                    Retry5xx,
	"gateway-error":          RetryGatewayError,
	"reset":                  RetryReset,
	"reset-before-request":   RetryResetBeforeRequest,
	"connect-failure":        RetryConnectFailure,
	"retriable-4xx":          RetryRetriable4xx,
	"refused-stream":         RetryRefusedStream,
	"retriable-status-codes": RetryRetriableStatusCodes,
	"envoy-ratelimited":      RetryEnvoyRateLimited,
	"cancelled":              RetryGRPCCancelled,
	"deadline-exceeded":      RetryGRPCDeadlineExceeded,
	"resource-exhausted":     RetryGRPCResourceExhausted,
	"internal":               RetryGRPCInternal,
	"unavailable":            RetryGRPCUnavailable,
}

// Failure is why an attempt got no response.
type Failure int

const (
	// ConnectFailure: no connection to the endpoint could be made.
	ConnectFailure Failure = iota + 1
	// Reset: the connection or stream ended before the response headers.
	Reset
	// RefusedStream: the upstream refused the HTTP/2 stream.
	RefusedStream
	// PerTryTimeout: the attempt's per_try_timeout passed before its
	// response headers.
	PerTryTimeout
)

// RetryFailure reports whether an attempt that failed so is retried, as
// Envoy's wouldRetryFromReset decides.
func (p *RetryPolicy) RetryFailure(f Failure) bool {
	if p.On&(Retry5xx|RetryGatewayError|RetryReset) != 0 {
		return true
	}
	switch f {
	case ConnectFailure:
		return p.On&(RetryConnectFailure|RetryResetBeforeRequest) != 0
	case RefusedStream:
		return p.On&RetryRefusedStream != 0
	}
	return false
}

// RetryResponse reports whether a response is retried, as Envoy's
// wouldRetryFromHeaders decides: status is the response status; grpcStatus
// the grpc-status header (-1 if absent); overloaded and rateLimited tell
// whether x-envoy-overloaded and x-envoy-ratelimited are set.
func (p *RetryPolicy) RetryResponse(status, grpcStatus int, overloaded, rateLimited bool) bool {
	if overloaded {
		return false // the upstream asks for no retry
	}
	switch {
	case p.On&Retry5xx != 0 && status >= 500 && status <= 599,
		p.On&RetryGatewayError != 0 && (status == 502 || status == 503 || status == 504),
		p.On&RetryRetriable4xx != 0 && status == 409,
		p.On&RetryEnvoyRateLimited != 0 && rateLimited:
		return true
	}
	if p.On&RetryRetriableStatusCodes != 0 {
		for _, c := range p.StatusCodes {
			if c == status {
				return true
			}
		}
	}
	switch grpcStatus {
	case 1:
		return p.On&RetryGRPCCancelled != 0
	case 4:
		return p.On&RetryGRPCDeadlineExceeded != 0
	case 8:
		return p.On&RetryGRPCResourceExhausted != 0
	case 13:
		return p.On&RetryGRPCInternal != 0
	case 14:
		return p.On&RetryGRPCUnavailable != 0
	}
	return false
}

// Backoff returns the wait before retry n (from 1): Envoy's fully jittered
// exponential back-off, uniform in [0, (2^n - 1) × base), where the ceiling
// stops growing once it passes the maximum interval, and at most that
// maximum.
func (p *RetryPolicy) Backoff(n int) time.Duration {
	var ceil time.Duration
	for k := 1; k <= n && k < 31 && ceil <= p.MaxInterval; k++ {
		ceil = time.Duration(1<<k-1) * p.BaseInterval
	}
	if ceil <= 0 {
		return 0
	}
	return min(time.Duration(rand.Int64N(int64(ceil))), p.MaxInterval)
}

// The one retry host predicate wasmesh implements.
const (
	previousHostsName = "envoy.retry_host_predicates.previous_hosts"
	previousHostsType = "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate"
)

// buildRetry compiles a retry_policy; nil for none.
func buildRetry(rp *routev3.RetryPolicy) (*RetryPolicy, error) {
	if rp == nil {
		return nil, nil
	}
	switch {
	case rp.GetRetryPriority() != nil:
		return nil, errors.New("retry_priority: not supported")
	case len(rp.GetRetryOptionsPredicates()) > 0:
		return nil, errors.New("retry_options_predicates: not supported")
	case rp.GetRateLimitedRetryBackOff() != nil:
		return nil, errors.New("rate_limited_retry_back_off: not supported")
	case len(rp.GetRetriableHeaders()) > 0:
		return nil, errors.New("retriable_headers: not supported")
	case len(rp.GetRetriableRequestHeaders()) > 0:
		return nil, errors.New("retriable_request_headers: not supported")
	case rp.GetPerTryIdleTimeout() != nil:
		return nil, errors.New("per_try_idle_timeout: not supported")
	}
	p := &RetryPolicy{NumRetries: 1, BaseInterval: 25 * time.Millisecond, Reselections: 1}
	for _, name := range strings.Split(rp.GetRetryOn(), ",") {
		// Envoy ignores names it does not know.
		p.On |= retryOnNames[strings.TrimSpace(name)]
	}
	if n := rp.GetNumRetries(); n != nil {
		p.NumRetries = int(n.GetValue())
	}
	if t := rp.GetPerTryTimeout(); t != nil {
		p.PerTryTimeout = t.AsDuration()
	}
	for _, c := range rp.GetRetriableStatusCodes() {
		p.StatusCodes = append(p.StatusCodes, int(c))
	}
	if b := rp.GetRetryBackOff(); b != nil {
		p.BaseInterval = b.GetBaseInterval().AsDuration()
		if p.BaseInterval <= 0 {
			return nil, errors.New("retry_back_off.base_interval: must be greater than zero")
		}
	}
	p.MaxInterval = 10 * p.BaseInterval
	if m := rp.GetRetryBackOff().GetMaxInterval(); m != nil {
		p.MaxInterval = m.AsDuration()
		if p.MaxInterval < p.BaseInterval {
			return nil, errors.New("retry_back_off.max_interval: must be greater than or equal to the base_interval")
		}
	}
	for i, hp := range rp.GetRetryHostPredicate() {
		if hp.GetTypedConfig().GetTypeUrl() != previousHostsType {
			return nil, fmt.Errorf("retry_host_predicate[%d] (%s): only %s is supported", i, hp.GetName(), previousHostsName)
		}
		p.OtherHosts = true
	}
	if n := rp.GetHostSelectionRetryMaxAttempts(); n > 0 {
		p.Reselections = int(n)
	}
	return p, nil
}
