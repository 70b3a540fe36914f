package route

import (
	"slices"
	"strings"
	"testing"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestBuildRetry(t *testing.T) {
	previous := &routev3.RetryPolicy_RetryHostPredicate{Name: previousHostsName,
		ConfigType: &routev3.RetryPolicy_RetryHostPredicate_TypedConfig{TypedConfig: &anypb.Any{TypeUrl: previousHostsType}}}
	cases := []struct {
		name    string
		in      *routev3.RetryPolicy
		want    RetryPolicy
		wantErr string
	}{
		{name: "defaults", in: &routev3.RetryPolicy{RetryOn: "5xx"},
			want: RetryPolicy{On: Retry5xx, NumRetries: 1, BaseInterval: 25 * time.Millisecond, MaxInterval: 250 * time.Millisecond, Reselections: 1}},
		{name: "conditions and counts", in: &routev3.RetryPolicy{RetryOn: " gateway-error ,connect-failure,retriable-status-codes,unavailable,bogus",
			NumRetries: wrapperspb.UInt32(3), PerTryTimeout: durationpb.New(time.Second), RetriableStatusCodes: []uint32{418, 429}},
			want: RetryPolicy{On: RetryGatewayError | RetryConnectFailure | RetryRetriableStatusCodes | RetryGRPCUnavailable, NumRetries: 3,
				PerTryTimeout: time.Second, StatusCodes: []int{418, 429}, BaseInterval: 25 * time.Millisecond, MaxInterval: 250 * time.Millisecond, Reselections: 1}},
		{name: "zero retries", in: &routev3.RetryPolicy{RetryOn: "5xx", NumRetries: wrapperspb.UInt32(0)},
			want: RetryPolicy{On: Retry5xx, BaseInterval: 25 * time.Millisecond, MaxInterval: 250 * time.Millisecond, Reselections: 1}},
		{name: "back-off", in: &routev3.RetryPolicy{RetryOn: "reset", RetryBackOff: &routev3.RetryPolicy_RetryBackOff{
			BaseInterval: durationpb.New(100 * time.Millisecond), MaxInterval: durationpb.New(300 * time.Millisecond)}},
			want: RetryPolicy{On: RetryReset, NumRetries: 1, BaseInterval: 100 * time.Millisecond, MaxInterval: 300 * time.Millisecond, Reselections: 1}},
		{name: "back-off without a maximum", in: &routev3.RetryPolicy{RetryOn: "reset", RetryBackOff: &routev3.RetryPolicy_RetryBackOff{
			BaseInterval: durationpb.New(time.Second)}},
			want: RetryPolicy{On: RetryReset, NumRetries: 1, BaseInterval: time.Second, MaxInterval: 10 * time.Second, Reselections: 1}},
		{name: "previous hosts", in: &routev3.RetryPolicy{RetryOn: "5xx", RetryHostPredicate: []*routev3.RetryPolicy_RetryHostPredicate{previous}, HostSelectionRetryMaxAttempts: 5},
			want: RetryPolicy{On: Retry5xx, NumRetries: 1, BaseInterval: 25 * time.Millisecond, MaxInterval: 250 * time.Millisecond, OtherHosts: true, Reselections: 5}},
		{name: "zero base interval", in: &routev3.RetryPolicy{RetryBackOff: &routev3.RetryPolicy_RetryBackOff{BaseInterval: durationpb.New(0)}},
			wantErr: "retry_back_off.base_interval"},
		{name: "maximum below the base", in: &routev3.RetryPolicy{RetryBackOff: &routev3.RetryPolicy_RetryBackOff{
			BaseInterval: durationpb.New(time.Second), MaxInterval: durationpb.New(time.Millisecond)}},
			wantErr: "retry_back_off.max_interval"},
		{name: "other host predicate", in: &routev3.RetryPolicy{RetryHostPredicate: []*routev3.RetryPolicy_RetryHostPredicate{{Name: "envoy.retry_host_predicates.omit_canary_hosts",
			ConfigType: &routev3.RetryPolicy_RetryHostPredicate_TypedConfig{TypedConfig: &anypb.Any{TypeUrl: "type.googleapis.com/envoy.extensions.retry.host.omit_canary_hosts.v3.OmitCanaryHostsPredicate"}}}}},
			wantErr: "retry_host_predicate[0] (envoy.retry_host_predicates.omit_canary_hosts)"},
		{name: "retriable headers", in: &routev3.RetryPolicy{RetriableHeaders: []*routev3.HeaderMatcher{{Name: "x"}}}, wantErr: "retriable_headers"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := buildRetry(c.in)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one naming %s", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.On != c.want.On || got.NumRetries != c.want.NumRetries || got.PerTryTimeout != c.want.PerTryTimeout ||
				got.BaseInterval != c.want.BaseInterval || got.MaxInterval != c.want.MaxInterval ||
				got.OtherHosts != c.want.OtherHosts || got.Reselections != c.want.Reselections ||
				!slices.Equal(got.StatusCodes, c.want.StatusCodes) {
				t.Errorf("got %+v\nwant %+v", *got, c.want)
			}
		})
	}
	if p, err := buildRetry(nil); p != nil || err != nil {
		t.Errorf("no policy: %v %v", p, err)
	}
}

// TestRetryDecisions: which responses and failures each condition retries,
// as Envoy's RetryStateImpl decides.
func TestRetryDecisions(t *testing.T) {
	type resp struct {
		status, grpc            int
		overloaded, rateLimited bool
	}
	cases := []struct {
		on        RetryOn
		codes     []int
		retried   []resp
		kept      []resp
		failures  []Failure // retried
		noFailure []Failure // not retried
	}{
		{on: Retry5xx,
			retried:  []resp{{status: 500, grpc: -1}, {status: 503, grpc: -1}, {status: 599, grpc: -1}},
			kept:     []resp{{status: 200, grpc: -1}, {status: 409, grpc: -1}, {status: 503, grpc: -1, overloaded: true}},
			failures: []Failure{ConnectFailure, Reset, RefusedStream, PerTryTimeout}},
		{on: RetryGatewayError,
			retried:  []resp{{status: 502, grpc: -1}, {status: 503, grpc: -1}, {status: 504, grpc: -1}},
			kept:     []resp{{status: 500, grpc: -1}, {status: 501, grpc: -1}},
			failures: []Failure{ConnectFailure, Reset, PerTryTimeout}},
		{on: RetryReset,
			kept:     []resp{{status: 503, grpc: -1}},
			failures: []Failure{ConnectFailure, Reset, RefusedStream, PerTryTimeout}},
		{on: RetryConnectFailure,
			kept:      []resp{{status: 503, grpc: -1}},
			failures:  []Failure{ConnectFailure},
			noFailure: []Failure{Reset, RefusedStream, PerTryTimeout}},
		{on: RetryResetBeforeRequest, failures: []Failure{ConnectFailure}, noFailure: []Failure{Reset, PerTryTimeout}},
		{on: RetryRefusedStream, failures: []Failure{RefusedStream}, noFailure: []Failure{Reset, ConnectFailure}},
		{on: RetryRetriable4xx, retried: []resp{{status: 409, grpc: -1}}, kept: []resp{{status: 404, grpc: -1}, {status: 500, grpc: -1}}},
		{on: RetryRetriableStatusCodes, codes: []int{418}, retried: []resp{{status: 418, grpc: -1}}, kept: []resp{{status: 500, grpc: -1}}},
		{on: RetryEnvoyRateLimited, retried: []resp{{status: 429, grpc: -1, rateLimited: true}}, kept: []resp{{status: 429, grpc: -1}}},
		{on: RetryGRPCUnavailable | RetryGRPCCancelled, retried: []resp{{status: 200, grpc: 14}, {status: 200, grpc: 1}},
			kept: []resp{{status: 200, grpc: 4}, {status: 200, grpc: 0}}, noFailure: []Failure{Reset, ConnectFailure}},
	}
	for _, c := range cases {
		p := &RetryPolicy{On: c.on, StatusCodes: c.codes}
		for _, r := range c.retried {
			if !p.RetryResponse(r.status, r.grpc, r.overloaded, r.rateLimited) {
				t.Errorf("retry_on %b: %+v not retried", c.on, r)
			}
		}
		for _, r := range c.kept {
			if p.RetryResponse(r.status, r.grpc, r.overloaded, r.rateLimited) {
				t.Errorf("retry_on %b: %+v retried", c.on, r)
			}
		}
		for _, f := range c.failures {
			if !p.RetryFailure(f) {
				t.Errorf("retry_on %b: failure %d not retried", c.on, f)
			}
		}
		for _, f := range c.noFailure {
			if p.RetryFailure(f) {
				t.Errorf("retry_on %b: failure %d retried", c.on, f)
			}
		}
	}
}

// TestBackoff: retry n waits less than (2^n - 1) × base, never more than the
// maximum, and the waits spread (full jitter); once the ceiling passed the
// maximum it stops growing, as in Envoy (25, 75, 175, then 375 ms with a 250
// ms maximum: two thirds of the late waits are below the maximum).
func TestBackoff(t *testing.T) {
	p := &RetryPolicy{BaseInterval: 25 * time.Millisecond, MaxInterval: 250 * time.Millisecond}
	ceils := []time.Duration{25, 75, 175, 250, 250, 250}
	for n := 1; n <= 40; n++ {
		ceil := ceils[min(n, len(ceils))-1] * time.Millisecond
		seen, below := map[time.Duration]bool{}, 0
		for range 300 {
			d := p.Backoff(n)
			if d < 0 || d > ceil {
				t.Fatalf("retry %d: back-off %v outside [0, %v]", n, d, ceil)
			}
			seen[d] = true
			if d < p.MaxInterval {
				below++
			}
		}
		if len(seen) < 50 {
			t.Errorf("retry %d: only %d distinct back-offs in 300: not jittered", n, len(seen))
		}
		if n >= 4 && (below < 150 || below > 250) {
			t.Errorf("retry %d: %d of 300 back-offs below the maximum, want about 200", n, below)
		}
	}
}
