package envoyconfig

// table is what wasmesh implements of the Envoy v3 bootstrap, message by
// message, in the order SUPPORTED.md lists them. Every set field of a message
// that is not listed here is an error ("field not supported by wasmesh"); a
// message listed with no fields is accepted only when empty. Messages of the
// google.protobuf package (Duration, wrappers, Struct) are taken whole.
//
// Adding support for a field is one line: ok(...) for a plain field, enum(...)
// to restrict values, warn(...) to accept and ignore it. The doc string of
// each line is its comment and its entry in SUPPORTED.md; regenerate that
// file with `go test ./envoyconfig -run TestSupportedMarkdown -update`.
var table = []message{
	{"envoy.config.bootstrap.v3.Bootstrap", "The root of the config file.", []field{
		ok("node", "Identity of this proxy; plugins read it through the node.* properties."),
		ok("static_resources", "The listeners and clusters; there is no xDS."),
		ok("admin", "The admin listener."),
		warn("layered_runtime", "Runtime layers are not implemented."),
		ok("stats_config", "Tag extraction for stats names."),
	}},
	{"envoy.config.core.v3.Node", "", []field{
		ok("id", "Node id."),
		ok("cluster", "Local service cluster name."),
		ok("metadata", "Free-form metadata, visible to plugins."),
		ok("locality", "Where this proxy runs."),
	}},
	{"envoy.config.core.v3.Locality", "", []field{
		ok("region", "Region."),
		ok("zone", "Zone."),
		ok("sub_zone", "Sub-zone."),
	}},
	{"envoy.config.bootstrap.v3.Bootstrap.StaticResources", "", []field{
		ok("listeners", "Listeners to open."),
		ok("clusters", "Upstream clusters."),
	}},
	{"envoy.config.bootstrap.v3.Admin", "", []field{
		ok("address", "Where the admin listener binds."),
		ok("access_log_path", "File the admin listener logs requests to."),
		warn("access_log", "Admin access loggers are not implemented."),
	}},
	{"envoy.config.metrics.v3.StatsConfig", "", []field{
		ok("stats_tags", "Custom tag extraction rules."),
		ok("use_all_default_tags", "Whether Envoy's default tag rules apply."),
	}},
	{"envoy.config.metrics.v3.TagSpecifier", "", []field{
		ok("tag_name", "Tag name."),
		ok("regex", "Regular expression extracting the tag value."),
		ok("fixed_value", "Fixed tag value."),
	}},
	{"envoy.config.core.v3.Address", "Only socket addresses; pipes and internal addresses are not supported.", []field{
		ok("socket_address", "An IP address or host name with a port."),
	}},
	{"envoy.config.core.v3.SocketAddress", "", []field{
		ok("address", "IP address (listeners) or host name (clusters)."),
		ok("port_value", "Port number."),
		enum("protocol", "Only TCP.", "TCP"),
	}},
	{"envoy.config.listener.v3.Listener", "", []field{
		ok("name", "Listener name."),
		need("address", "Where to listen; required."),
		ok("filter_chains", "The filter chains; the first one serves every connection."),
		ok("listener_filters", "Only the TLS and HTTP inspectors, which need no work here: there is no filter chain matching, TLS and HTTP/2 are recognised on the connection itself."),
		warn("traffic_direction", "Informational in Envoy; ignored."),
		ok("stat_prefix", "Prefix of the listener's stats."),
	}},
	{"envoy.config.listener.v3.ListenerFilter", "", []field{
		ok("name", "Filter name."),
		extension("typed_config", "Required.", tlsInspectorType, httpInspectorType),
	}},
	{tlsInspectorType, "Accepted when empty.", nil},
	{httpInspectorType, "Accepted when empty.", nil},
	{"envoy.config.listener.v3.FilterChain", "", []field{
		ok("filters", "Network filters, in order."),
		ok("name", "Filter chain name."),
		ok("filter_chain_match", "Accepted only when empty: there is no filter chain matching."),
		checked("transport_socket", "TLS termination: typed_config must be an "+downstreamTLSType+".", transportSocketOf(downstreamTLSType)),
	}},
	{"envoy.config.listener.v3.FilterChainMatch", "No match criteria are supported.", nil},
	{"envoy.config.listener.v3.Filter", "A network filter.", []field{
		ok("name", "Filter name."),
		extension("typed_config", "Required.", hcmType, tcpProxyType, networkWasmType),
	}},
	{hcmType, "The HTTP connection manager.", []field{
		ok("stat_prefix", "Prefix of the HTTP stats."),
		enum("codec_type", "Downstream protocol.", "AUTO", "HTTP1", "HTTP2"),
		ok("route_config", "Inline routes (RDS is not supported)."),
		ok("http_filters", "HTTP filters, in order."),
		ok("access_log", "Access loggers."),
		ok("use_remote_address", "Use the peer address as the client address (x-forwarded-for)."),
		ok("generate_request_id", "Generate x-request-id."),
		ok("stream_idle_timeout", "Idle timeout of a stream."),
		ok("request_timeout", "Timeout to receive the whole request."),
		ok("common_http_protocol_options", "Connection options."),
		ok("server_name", "Value of the server response header."),
		ok("upgrade_configs", "Protocol upgrades (websocket, ...) allowed on HTTP/1.1: the request and 101 response go through the filters' header callbacks, then the bytes are relayed both ways untouched (Envoy also passes them through the body callbacks); HTTP/1.1 upstreams only."),
	}},
	{hcmType + ".UpgradeConfig", "", []field{
		ok("upgrade_type", "Upgrade type (websocket, ...), case-insensitive."),
		ok("enabled", "Whether the upgrade is allowed (default true); routes may override it."),
	}},
	{"envoy.config.core.v3.HttpProtocolOptions", "", []field{
		ok("idle_timeout", "Idle timeout of a connection."),
	}},
	{"envoy.config.accesslog.v3.AccessLog", "Access log filters are not supported.", []field{
		ok("name", "Logger name."),
		extension("typed_config", "Required.", stdoutLogType, stderrLogType, fileLogType),
	}},
	{stdoutLogType, "", []field{
		ok("log_format", "Format; Envoy's default format when absent."),
	}},
	{stderrLogType, "", []field{
		ok("log_format", "Format; Envoy's default format when absent."),
	}},
	{fileLogType, "", []field{
		ok("path", "File to append to."),
		ok("log_format", "Format; Envoy's default format when absent."),
	}},
	{"envoy.config.core.v3.SubstitutionFormatString", "", []field{
		ok("text_format_source", "Text format with %COMMAND% operators."),
	}},
	{"envoy.config.core.v3.DataSource", "Environment variables are not supported as a source.", []field{
		ok("filename", "Read from a file."),
		ok("inline_bytes", "Inline bytes."),
		ok("inline_string", "Inline string."),
	}},
	{"envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter", "", []field{
		ok("name", "Filter name."),
		extension("typed_config", "Required.", httpWasmType, routerType),
	}},
	{routerType, "The router; it must be the last HTTP filter.", nil},
	{"envoy.config.route.v3.RouteConfiguration", "", []field{
		ok("name", "Route configuration name."),
		ok("virtual_hosts", "Virtual hosts."),
		ok("request_headers_to_add", "Headers added to every request."),
		ok("request_headers_to_remove", "Headers removed from every request."),
		ok("response_headers_to_add", "Headers added to every response."),
		ok("response_headers_to_remove", "Headers removed from every response."),
	}},
	{"envoy.config.route.v3.VirtualHost", "", []field{
		ok("name", "Virtual host name."),
		ok("domains", "Host names served, with * wildcards."),
		ok("routes", "Routes, first match wins."),
		ok("request_headers_to_add", "Headers added to requests."),
		ok("request_headers_to_remove", "Headers removed from requests."),
		ok("response_headers_to_add", "Headers added to responses."),
		ok("response_headers_to_remove", "Headers removed from responses."),
		ok("retry_policy", "Retries of the routes that have no retry_policy."),
		ok("include_request_attempt_count", "x-envoy-attempt-count on each upstream request (1 for the first attempt)."),
		ok("include_attempt_count_in_response", "x-envoy-attempt-count on the response: the attempts made."),
	}},
	{"envoy.config.route.v3.Route", "", []field{
		ok("name", "Route name."),
		ok("match", "Request match."),
		ok("route", "Forward to a cluster."),
		ok("direct_response", "Answer directly."),
		ok("request_headers_to_add", "Headers added to requests."),
		ok("request_headers_to_remove", "Headers removed from requests."),
		ok("response_headers_to_add", "Headers added to responses."),
		ok("response_headers_to_remove", "Headers removed from responses."),
	}},
	{"envoy.config.route.v3.RouteMatch", "", []field{
		ok("prefix", "Path prefix."),
		ok("path", "Exact path."),
		ok("safe_regex", "Path regular expression (RE2 syntax)."),
		ok("headers", "Header conditions, all of which must match."),
		ok("case_sensitive", "Whether path matching is case-sensitive (default true)."),
	}},
	{"envoy.type.matcher.v3.RegexMatcher", "", []field{
		ok("google_re2", "Accepted when empty."),
		ok("regex", "The regular expression."),
	}},
	{"envoy.type.matcher.v3.RegexMatcher.GoogleRE2", "No options are supported.", nil},
	{"envoy.config.route.v3.HeaderMatcher", "", []field{
		ok("name", "Header name."),
		ok("exact_match", "Deprecated; exact value."),
		ok("safe_regex_match", "Deprecated; regular expression."),
		ok("present_match", "Header present (or absent)."),
		ok("prefix_match", "Deprecated; value prefix."),
		ok("suffix_match", "Deprecated; value suffix."),
		ok("contains_match", "Deprecated; value substring."),
		ok("string_match", "Value matcher."),
		ok("invert_match", "Negate the match."),
	}},
	{"envoy.type.matcher.v3.StringMatcher", "", []field{
		ok("exact", "Exact value."),
		ok("prefix", "Prefix."),
		ok("suffix", "Suffix."),
		ok("contains", "Substring."),
		ok("safe_regex", "Regular expression."),
		ok("ignore_case", "Case-insensitive (not for safe_regex)."),
	}},
	{"envoy.config.route.v3.RouteAction", "", []field{
		ok("cluster", "Upstream cluster."),
		ok("weighted_clusters", "Split traffic between clusters."),
		ok("prefix_rewrite", "Replace the matched prefix."),
		ok("host_rewrite_literal", "Replace the Host header."),
		ok("auto_host_rewrite", "Set Host to the upstream host name."),
		ok("timeout", "Upstream timeout (default 15s), for all attempts and back-offs together."),
		ok("retry_policy", "Retries."),
		ok("upgrade_configs", "Per-route protocol upgrades: enable or disable an upgrade type, over the connection manager's."),
	}},
	{"envoy.config.route.v3.RouteAction.UpgradeConfig", "", []field{
		ok("upgrade_type", "Upgrade type (websocket, ...), case-insensitive."),
		ok("enabled", "Whether the upgrade is allowed on this route (default true)."),
	}},
	{"envoy.config.route.v3.RetryPolicy", "Envoy's router retries: the request body is buffered, the response is retried only before any of it is sent downstream.", []field{
		ok("retry_on", "Conditions, comma-separated: 5xx, gateway-error, reset, reset-before-request (a connect failure), connect-failure, retriable-4xx, refused-stream, retriable-status-codes, envoy-ratelimited, and from response headers the gRPC cancelled, deadline-exceeded, internal, resource-exhausted, unavailable; other names are ignored."),
		ok("num_retries", "Retries after the first attempt (default 1)."),
		ok("per_try_timeout", "Timeout of each attempt until its response headers; it counts as a reset."),
		ok("retriable_status_codes", "Statuses retried under retriable-status-codes."),
		ok("retry_back_off", "Fully jittered exponential back-off."),
		ok("retry_host_predicate", "Only envoy.retry_host_predicates.previous_hosts."),
		ok("host_selection_retry_max_attempts", "How often the load balancer picks again to avoid a previous host (default 1)."),
	}},
	{"envoy.config.route.v3.RetryPolicy.RetryBackOff", "", []field{
		need("base_interval", "First back-off ceiling (25ms without retry_back_off)."),
		ok("max_interval", "Back-off cap (default 10 times base_interval)."),
	}},
	{"envoy.config.route.v3.RetryPolicy.RetryHostPredicate", "", []field{
		ok("name", "Predicate name."),
		extension("typed_config", "Required.", previousHostsType),
	}},
	{previousHostsType, "Retries prefer endpoints not tried yet.", nil},
	{"envoy.config.route.v3.WeightedCluster", "", []field{
		ok("clusters", "Clusters and weights."),
		ok("total_weight", "Deprecated; sum of the weights."),
	}},
	{"envoy.config.route.v3.WeightedCluster.ClusterWeight", "", []field{
		ok("name", "Cluster name."),
		ok("weight", "Weight."),
	}},
	{"envoy.config.route.v3.DirectResponseAction", "", []field{
		ok("status", "Status code."),
		ok("body", "Response body."),
	}},
	{"envoy.config.core.v3.HeaderValueOption", "", []field{
		ok("header", "The header."),
		ok("append", "Deprecated; append rather than overwrite."),
		ok("append_action", "What to do when the header exists."),
		ok("keep_empty_value", "Add the header even when the value is empty."),
	}},
	{"envoy.config.core.v3.HeaderValue", "raw_value is not supported.", []field{
		ok("key", "Header name."),
		ok("value", "Header value."),
	}},
	{httpWasmType, "An HTTP Proxy-Wasm filter.", []field{
		ok("config", "The plugin."),
	}},
	{networkWasmType, "A network Proxy-Wasm filter.", []field{
		ok("config", "The plugin."),
	}},
	{"envoy.extensions.wasm.v3.PluginConfig", "", []field{
		ok("name", "Plugin name, visible to the plugin as plugin_name."),
		ok("root_id", "Root context id."),
		ok("vm_config", "The VM."),
		opaque("configuration", "Passed to proxy_on_configure: StringValue and BytesValue raw, Struct as JSON, other types serialized."),
		ok("fail_open", "Deprecated; same as failure_policy FAIL_OPEN."),
		enum("failure_policy", "What happens when the plugin fails.", "FAIL_CLOSED", "FAIL_OPEN", "FAIL_RELOAD"),
		ok("reload_config", "Backoff of FAIL_RELOAD."),
		ok("allow_on_headers_stop_iteration", "Keep a header Pause as StopIteration instead of StopAllIterationAndWatermark."),
		ok("capability_restriction_config", "Which ABI and WASI functions the plugin's VM may use; plugins with different lists get different VMs."),
	}},
	{"envoy.extensions.wasm.v3.CapabilityRestrictionConfig", "", []field{
		ok("allowed_capabilities", "Function names (proxy_log, proxy_on_request_headers, fd_write, ...); empty allows all. A proxy_* host function not listed returns INTERNAL_FAILURE and logs \"Attempted call to restricted proxy-wasm capability\", a WASI one ENOTCAPABLE (76), and a proxy_on_* callback not listed is not called."),
	}},
	{"envoy.extensions.wasm.v3.SanitizationConfig", "Unimplemented in Envoy too: accepted only when empty.", nil},
	{"envoy.extensions.wasm.v3.ReloadConfig", "", []field{
		ok("backoff", "Reload backoff (default base interval 1s)."),
	}},
	{"envoy.config.core.v3.BackoffStrategy", "", []field{
		ok("base_interval", "First interval."),
		ok("max_interval", "Upper bound."),
	}},
	{"envoy.extensions.wasm.v3.VmConfig", "", []field{
		ok("vm_id", "VMs with the same vm_id and code share one instance."),
		checked("runtime", "Any envoy.wasm.runtime.* name except envoy.wasm.runtime.null; all run on wazero.", checkRuntime),
		ok("code", "The Wasm module."),
		opaque("configuration", "Passed to proxy_on_vm_start, converted as the plugin configuration."),
		ok("allow_precompiled", "Accepted; wazero compiles the module itself."),
		ok("nack_on_code_cache_miss", "Start with the fallback instead of waiting when remote code is not in the module cache; it is fetched in the background."),
		ok("environment_variables", "Environment seen through WASI."),
	}},
	{"envoy.extensions.wasm.v3.EnvironmentVariables", "", []field{
		ok("host_env_keys", "Variables copied from the proxy's environment."),
		ok("key_values", "Variables set explicitly."),
	}},
	{"envoy.config.core.v3.AsyncDataSource", "", []field{
		ok("local", "A file or inline bytes."),
		ok("remote", "Fetched over HTTP through a cluster or, with Istio's placeholder cluster `_` (or an oci:// or file:// URL), by istio-agent's rules: module cache, pull policy and secret from ISTIO_META_WASM_IMAGE_PULL_POLICY / _SECRET. A failed fetch leaves the plugin in its fallback (FAIL_OPEN skipped, else 503) and is retried in the background."),
	}},
	{"envoy.config.core.v3.RemoteDataSource", "", []field{
		ok("http_uri", "Where to fetch from."),
		ok("sha256", "Checksum: of the module, or for oci:// the manifest digest (Istio's rule); `nil` (what istiod writes) checks nothing."),
		ok("retry_policy", "Fetch retries."),
	}},
	{"envoy.config.core.v3.HttpUri", "", []field{
		ok("uri", "URL: http(s)://, or oci://host/repo:tag (or @sha256:...) and file:///path (no cluster)."),
		ok("cluster", "Cluster that serves an http(s) URL; `_` (istiod's placeholder) fetches directly."),
		ok("timeout", "Fetch timeout (per request through a cluster; the whole fetch otherwise, default 5s)."),
	}},
	{"envoy.config.core.v3.RetryPolicy", "", []field{
		ok("retry_back_off", "Backoff between attempts and between background retries (default 1s, up to max_interval or 30s)."),
		ok("num_retries", "Number of retries (default 1)."),
	}},
	{tcpProxyType, "The TCP proxy.", []field{
		ok("stat_prefix", "Prefix of the TCP proxy stats."),
		ok("cluster", "Upstream cluster."),
		ok("weighted_clusters", "Split connections between clusters."),
		ok("idle_timeout", "Idle timeout of a connection (default 1h)."),
	}},
	{tcpProxyType + ".WeightedCluster", "", []field{
		ok("clusters", "Clusters and weights."),
	}},
	{tcpProxyType + ".WeightedCluster.ClusterWeight", "", []field{
		ok("name", "Cluster name."),
		ok("weight", "Weight."),
	}},
	{"envoy.config.cluster.v3.Cluster", "Health checks are not supported yet.", []field{
		ok("name", "Cluster name."),
		enum("type", "Service discovery.", "STATIC", "STRICT_DNS", "LOGICAL_DNS"),
		ok("connect_timeout", "Upstream connect timeout (default 5s)."),
		enum("lb_policy", "Load balancing.", "ROUND_ROBIN", "RANDOM", "LEAST_REQUEST"),
		ok("load_assignment", "The endpoints."),
		ok("http2_protocol_options", "Deprecated; speak HTTP/2 upstream."),
		keyedBy("typed_extension_protocol_options", "Upstream HTTP protocol selection.", httpProtocolType),
		ok("dns_lookup_family", "Address families used from DNS answers."),
		ok("dns_refresh_rate", "How often DNS clusters resolve again."),
		warn("respect_dns_ttl", "DNS TTLs are not used; dns_refresh_rate applies."),
		warn("per_connection_buffer_limit_bytes", "Buffer limits are not implemented."),
		warn("circuit_breakers", "Circuit breakers are not implemented."),
		warn("upstream_connection_options", "TCP keepalive settings are not implemented."),
		warn("common_lb_config", "Load balancer tuning is not implemented."),
		checked("transport_socket", "TLS to the endpoints: typed_config must be an "+upstreamTLSType+".", transportSocketOf(upstreamTLSType)),
	}},
	{"envoy.config.core.v3.Http1ProtocolOptions", "No HTTP/1 options are supported.", nil},
	{"envoy.config.core.v3.Http2ProtocolOptions", "No HTTP/2 options are supported.", nil},
	{"envoy.config.endpoint.v3.ClusterLoadAssignment", "", []field{
		ok("cluster_name", "Cluster name."),
		ok("endpoints", "Endpoints by locality."),
	}},
	{"envoy.config.endpoint.v3.LocalityLbEndpoints", "", []field{
		ok("lb_endpoints", "The endpoints."),
		warn("locality", "Locality-aware balancing is not implemented."),
		reject("priority", "only priority 0 is supported"),
	}},
	{"envoy.config.endpoint.v3.LbEndpoint", "", []field{
		ok("endpoint", "The endpoint."),
		ok("load_balancing_weight", "Weight."),
	}},
	{"envoy.config.endpoint.v3.Endpoint", "", []field{
		need("address", "Address and port; required."),
		ok("hostname", "Host name for auto_host_rewrite."),
	}},
	{httpProtocolType, "Under the key envoy.extensions.upstreams.http.v3.HttpProtocolOptions.", []field{
		ok("explicit_http_config", "Always HTTP/1.1 or always HTTP/2."),
		ok("use_downstream_protocol_config", "Same protocol as downstream."),
	}},
	{httpProtocolType + ".ExplicitHttpConfig", "", []field{
		ok("http_protocol_options", "HTTP/1.1."),
		ok("http2_protocol_options", "HTTP/2."),
	}},
	{httpProtocolType + ".UseDownstreamHttpConfig", "", []field{
		ok("http_protocol_options", "HTTP/1.1 for HTTP/1 requests."),
		ok("http2_protocol_options", "HTTP/2 for HTTP/2 requests."),
	}},
	{"envoy.config.core.v3.TransportSocket", "Only TLS; where it appears decides which context type it holds.", []field{
		ok("name", "Name, such as envoy.transport_sockets.tls; the typed_config type decides."),
		extension("typed_config", "Required.", downstreamTLSType, upstreamTLSType),
	}},
	{downstreamTLSType, "TLS on a listener; certificates are read once at start-up.", []field{
		ok("common_tls_context", "Certificates, validation, ALPN, versions."),
		ok("require_client_certificate", "Require and verify a client certificate (mTLS) against validation_context.trusted_ca."),
	}},
	{upstreamTLSType, "TLS to a cluster's endpoints; certificates are read once at start-up.", []field{
		ok("common_tls_context", "Client certificates, validation, ALPN, versions."),
		ok("sni", "Server name sent; default the endpoint hostname, if any."),
	}},
	{"envoy.extensions.transport_sockets.tls.v3.CommonTlsContext", "", []field{
		ok("tls_certificates", "Certificates and keys (crypto/tls picks one per handshake); required on listeners, client certificates upstream."),
		ok("validation_context", "Peer verification. Without it, upstream server certificates are not verified (as Envoy)."),
		ok("alpn_protocols", "ALPN protocols; default h2,http/1.1 on HTTP listeners, h2 or http/1.1 upstream by cluster protocol."),
		ok("tls_params", "Protocol versions."),
	}},
	{"envoy.extensions.transport_sockets.tls.v3.TlsCertificate", "", []field{
		need("certificate_chain", "PEM certificate chain; required."),
		need("private_key", "PEM private key; required."),
	}},
	{"envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext", "", []field{
		ok("trusted_ca", "PEM CA bundle that peer certificates must chain to."),
		reject("match_typed_subject_alt_names", "subject alt name matching is not supported"),
	}},
	{"envoy.extensions.transport_sockets.tls.v3.TlsParameters", "Cipher suites and curves are Go's defaults.", []field{
		enum("tls_minimum_protocol_version", "Lowest version (TLS_AUTO: TLSv1_2).", "TLS_AUTO", "TLSv1_0", "TLSv1_1", "TLSv1_2", "TLSv1_3"),
		enum("tls_maximum_protocol_version", "Highest version (TLS_AUTO: TLSv1_3 on listeners, TLSv1_2 upstream, as Envoy).", "TLS_AUTO", "TLSv1_0", "TLSv1_1", "TLSv1_2", "TLSv1_3"),
	}},
}
