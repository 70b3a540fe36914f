// The add-header filter in njs: x-wasm on the request (through js_set and
// proxy_set_header) and on the response (js_header_filter).
function requestHeader(r) {
    return "bench";
}

function responseHeader(r) {
    r.headersOut["x-wasm"] = "bench";
}

export default { requestHeader, responseHeader };
