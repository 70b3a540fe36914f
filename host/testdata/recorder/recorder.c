/*
 * recorder: a Proxy-Wasm lifecycle conformance fixture (ABI 0.2.1).
 *
 * Freestanding C: no libc, no SDK, no WASI except proc_exit. Built with
 *   clang --target=wasm32-unknown-unknown -nostdlib -Wl,--no-entry
 *         -Wl,--export-dynamic
 * (see build.sh). The module has no _start/_initialize: nothing runs before
 * the host's first callback.
 *
 * 1. Every proxy_* callback of the ABI is exported with its exact wasm type and
 *    logs ONE line through proxy_log(2 = info, ...):
 *        <callback_name> <arg1> <arg2> ...
 *    with each argument as an unsigned decimal u32, e.g.
 *        proxy_on_context_create 2 1
 *        proxy_on_request_headers 2 5 1
 *
 * 2. What a callback then does is driven by a tiny option language: a text of
 *    whitespace-separated key=value tokens. It is read from
 *      - the VM configuration (buffer 6) in proxy_on_vm_start: this RESETS all
 *        options and applies the VM configuration's ones, and logs
 *        "vm_config <text>";
 *      - the plugin configuration (buffer 7) in proxy_on_configure: its options
 *        are applied ON TOP of those from the VM configuration, and it logs
 *        "plugin_config <text>".
 *    Options are global to the module instance (not per root context). The
 *    VM configuration is the only way to drive proxy_on_vm_start itself.
 *    Before the first proxy_on_vm_start every option has its default.
 *
 *      <callback>=<int>         value the callback returns (bool/action);
 *                               default 1 for proxy_on_vm_start,
 *                               proxy_validate_configuration, proxy_on_configure
 *                               and proxy_on_done, else 0 (Continue).
 *      trap=<callback>          executes `unreachable`.
 *      loop=<callback>          spins forever.
 *      grow=<callback>          grows memory until memory.grow fails, then logs
 *                               "grow failed" and "memory_pages <n>".
 *      local_reply=<callback>   proxy_send_local_response(403,
 *                               "denied by recorder", "forbidden",
 *                               {x-recorder: yes}, grpc_status -1);
 *                               logs "proxy_send_local_response <status>".
 *      continue=<callback>:<t>  proxy_continue_stream(t);
 *                               logs "proxy_continue_stream <status>".
 *      done=<callback>          proxy_done(); logs "proxy_done <status>".
 *      exit=<callback>:<code>   WASI proc_exit(code); if the host returns,
 *                               logs "proc_exit returned".
 *      tick=<ms>                proxy_on_configure calls
 *                               proxy_set_tick_period_milliseconds(ms); logs
 *                               "proxy_set_tick_period_milliseconds <status>".
 *      alloc=fail | alloc=trap  the allocator returns 0 / traps.
 *    An unknown token is logged at level 3 (warn) as "bad option <token>".
 *
 *    Order inside a callback: the callback line; (vm_start/configure: read and
 *    apply the configuration; configure: tick); then grow, local_reply,
 *    continue, done, exit, trap, loop; then return the configured value.
 *
 * 3. Allocator: a bump allocator (never frees) exported as both
 *    proxy_on_memory_allocate and malloc.
 */
#include <stddef.h>
#include <stdint.h>

#define IMPORT(module, name) \
  __attribute__((import_module(module), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

/* ------------------------------------------------------------------------ */
/* Host functions. All proxy_* ones return a proxy_status_t (u32).          */
/* ------------------------------------------------------------------------ */

IMPORT("env", "proxy_log")
uint32_t proxy_log(uint32_t level, const char *msg, uint32_t size);

IMPORT("env", "proxy_get_buffer_bytes")
uint32_t proxy_get_buffer_bytes(uint32_t type, uint32_t start, uint32_t max,
                                char **out_ptr, uint32_t *out_size);

IMPORT("env", "proxy_send_local_response")
uint32_t proxy_send_local_response(uint32_t status_code, const char *details,
                                   uint32_t details_size, const char *body,
                                   uint32_t body_size, const char *headers,
                                   uint32_t headers_size, int32_t grpc_status);

IMPORT("env", "proxy_continue_stream")
uint32_t proxy_continue_stream(uint32_t stream_type);

IMPORT("env", "proxy_done")
uint32_t proxy_done(void);

IMPORT("env", "proxy_set_tick_period_milliseconds")
uint32_t proxy_set_tick_period_milliseconds(uint32_t millis);

/* Declared without noreturn on purpose: Envoy's proc_exit logs and returns. */
IMPORT("wasi_snapshot_preview1", "proc_exit")
void wasi_proc_exit(uint32_t code);

enum { LOG_INFO = 2, LOG_WARN = 3 };
enum { BUFFER_VM_CONFIGURATION = 6, BUFFER_PLUGIN_CONFIGURATION = 7 };

/* ------------------------------------------------------------------------ */
/* The callbacks: one table row each. X(id, export name, default result).   */
/* ------------------------------------------------------------------------ */

#define CALLBACKS(X)                                   \
  X(CONTEXT_CREATE, "proxy_on_context_create", 0)      \
  X(VM_START, "proxy_on_vm_start", 1)                  \
  X(VALIDATE_CONFIGURATION, "proxy_validate_configuration", 1) \
  X(CONFIGURE, "proxy_on_configure", 1)                \
  X(TICK, "proxy_on_tick", 0)                          \
  X(QUEUE_READY, "proxy_on_queue_ready", 0)            \
  X(FOREIGN_FUNCTION, "proxy_on_foreign_function", 0)  \
  X(NEW_CONNECTION, "proxy_on_new_connection", 0)      \
  X(DOWNSTREAM_DATA, "proxy_on_downstream_data", 0)    \
  X(UPSTREAM_DATA, "proxy_on_upstream_data", 0)        \
  X(DOWNSTREAM_CONNECTION_CLOSE, "proxy_on_downstream_connection_close", 0) \
  X(UPSTREAM_CONNECTION_CLOSE, "proxy_on_upstream_connection_close", 0) \
  X(REQUEST_HEADERS, "proxy_on_request_headers", 0)    \
  X(REQUEST_BODY, "proxy_on_request_body", 0)          \
  X(REQUEST_TRAILERS, "proxy_on_request_trailers", 0)  \
  X(REQUEST_METADATA, "proxy_on_request_metadata", 0)  \
  X(RESPONSE_HEADERS, "proxy_on_response_headers", 0)  \
  X(RESPONSE_BODY, "proxy_on_response_body", 0)        \
  X(RESPONSE_TRAILERS, "proxy_on_response_trailers", 0) \
  X(RESPONSE_METADATA, "proxy_on_response_metadata", 0) \
  X(HTTP_CALL_RESPONSE, "proxy_on_http_call_response", 0) \
  X(GRPC_RECEIVE_INITIAL_METADATA, "proxy_on_grpc_receive_initial_metadata", 0) \
  X(GRPC_RECEIVE, "proxy_on_grpc_receive", 0)          \
  X(GRPC_RECEIVE_TRAILING_METADATA, "proxy_on_grpc_receive_trailing_metadata", 0) \
  X(GRPC_CLOSE, "proxy_on_grpc_close", 0)              \
  X(DONE, "proxy_on_done", 1)                          \
  X(LOG, "proxy_on_log", 0)                            \
  X(DELETE, "proxy_on_delete", 0)

#define AS_ENUM(id, name, def) CB_##id,
enum callback { CALLBACKS(AS_ENUM) CB_COUNT };

#define AS_NAME(id, name, def) name,
static const char *const callback_names[CB_COUNT] = {CALLBACKS(AS_NAME)};

#define AS_DEFAULT(id, name, def) def,
static const int32_t callback_defaults[CB_COUNT] = {CALLBACKS(AS_DEFAULT)};

/* What the options ask one callback to do. */
struct behaviour {
  int32_t result;          /* value returned (when the callback returns one) */
  uint8_t trap, loop, grow, local_reply, done;
  uint8_t do_continue;     /* call proxy_continue_stream(continue_type) */
  uint8_t do_exit;         /* call proc_exit(exit_code) */
  uint32_t continue_type;
  uint32_t exit_code;
};

static struct behaviour behaviours[CB_COUNT];
static uint8_t have_tick;
static uint32_t tick_ms;
static uint8_t alloc_fail, alloc_trap;
static uint8_t options_ready; /* set by reset_options() */

/* ------------------------------------------------------------------------ */
/* Tiny freestanding helpers.                                               */
/* ------------------------------------------------------------------------ */

static uint32_t str_len(const char *s) {
  uint32_t n = 0;
  while (s[n] != '\0') n++;
  return n;
}

/* Does [s, s+n) equal the NUL-terminated string z? */
static int str_eq(const char *s, uint32_t n, const char *z) {
  uint32_t i = 0;
  for (; i < n; i++)
    if (z[i] == '\0' || z[i] != s[i]) return 0;
  return z[i] == '\0';
}

/* A line being built for proxy_log; longer text is cut at the end. */
static char line[4096];
static uint32_t line_len;

static void line_reset(void) { line_len = 0; }

static void line_bytes(const char *s, uint32_t n) {
  for (uint32_t i = 0; i < n && line_len < sizeof(line); i++)
    line[line_len++] = s[i];
}

static void line_str(const char *s) { line_bytes(s, str_len(s)); }

static void line_u32(uint32_t v) {
  char digits[10];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) line_bytes(&digits[--n], 1);
}

static void line_emit(uint32_t level) { proxy_log(level, line, line_len); }

/* Logs "<text> <value>". */
static void log_status(const char *text, uint32_t value) {
  line_reset();
  line_str(text);
  line_str(" ");
  line_u32(value);
  line_emit(LOG_INFO);
}

static void log_text(const char *text) {
  proxy_log(LOG_INFO, text, str_len(text));
}

/* Parses a decimal integer with an optional leading '-' (wraps on overflow).
 * Returns 0 if [s, s+n) is not a number. */
static int parse_int(const char *s, uint32_t n, int32_t *out) {
  uint32_t i = 0, v = 0;
  int neg = 0;
  if (n > 0 && s[0] == '-') {
    neg = 1;
    i = 1;
  }
  if (i == n) return 0;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (uint32_t)(s[i] - '0');
  }
  *out = neg ? (int32_t)(0u - v) : (int32_t)v;
  return 1;
}

/* Callback index for a name, or -1. */
static int find_callback(const char *s, uint32_t n) {
  for (int i = 0; i < CB_COUNT; i++)
    if (str_eq(s, n, callback_names[i])) return i;
  return -1;
}

/* Splits "<callback>:<int>" into a callback index and the integer. */
static int parse_callback_int(const char *s, uint32_t n, int *cb,
                              int32_t *value) {
  uint32_t colon = 0;
  while (colon < n && s[colon] != ':') colon++;
  if (colon == n) return 0;
  *cb = find_callback(s, colon);
  return *cb >= 0 && parse_int(s + colon + 1, n - colon - 1, value);
}

/* ------------------------------------------------------------------------ */
/* Options.                                                                 */
/* ------------------------------------------------------------------------ */

static void reset_options(void) {
  for (int i = 0; i < CB_COUNT; i++) {
    struct behaviour empty = {0};
    behaviours[i] = empty;
    behaviours[i].result = callback_defaults[i];
  }
  have_tick = 0;
  tick_ms = 0;
  alloc_fail = 0;
  alloc_trap = 0;
  options_ready = 1;
}

/* Applies one "key=value" token; returns 0 if it is not understood. */
static int apply_option(const char *tok, uint32_t n) {
  uint32_t eq = 0;
  while (eq < n && tok[eq] != '=') eq++;
  if (eq == 0 || eq == n) return 0;
  const char *key = tok, *val = tok + eq + 1;
  uint32_t key_n = eq, val_n = n - eq - 1;
  int cb;
  int32_t num;

  if ((cb = find_callback(key, key_n)) >= 0) { /* <callback>=<int> */
    if (!parse_int(val, val_n, &num)) return 0;
    behaviours[cb].result = num;
    return 1;
  }
  if (str_eq(key, key_n, "tick")) {
    if (!parse_int(val, val_n, &num)) return 0;
    have_tick = 1;
    tick_ms = (uint32_t)num;
    return 1;
  }
  if (str_eq(key, key_n, "alloc")) {
    if (str_eq(val, val_n, "fail")) return alloc_fail = 1;
    if (str_eq(val, val_n, "trap")) return alloc_trap = 1;
    return 0;
  }
  if (str_eq(key, key_n, "continue")) {
    if (!parse_callback_int(val, val_n, &cb, &num)) return 0;
    behaviours[cb].do_continue = 1;
    behaviours[cb].continue_type = (uint32_t)num;
    return 1;
  }
  if (str_eq(key, key_n, "exit")) {
    if (!parse_callback_int(val, val_n, &cb, &num)) return 0;
    behaviours[cb].do_exit = 1;
    behaviours[cb].exit_code = (uint32_t)num;
    return 1;
  }
  /* The remaining keys all take a bare callback name. */
  if ((cb = find_callback(val, val_n)) < 0) return 0;
  struct behaviour *b = &behaviours[cb];
  if (str_eq(key, key_n, "trap")) return b->trap = 1;
  if (str_eq(key, key_n, "loop")) return b->loop = 1;
  if (str_eq(key, key_n, "grow")) return b->grow = 1;
  if (str_eq(key, key_n, "local_reply")) return b->local_reply = 1;
  if (str_eq(key, key_n, "done")) return b->done = 1;
  return 0;
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void apply_options(const char *text, uint32_t n) {
  uint32_t i = 0;
  while (i < n) {
    while (i < n && is_space(text[i])) i++;
    uint32_t start = i;
    while (i < n && !is_space(text[i])) i++;
    if (i > start && !apply_option(text + start, i - start)) {
      line_reset();
      line_str("bad option ");
      line_bytes(text + start, i - start);
      line_emit(LOG_WARN);
    }
  }
}

/* Reads a configuration buffer, logs "<label> <text>" (just "<label>" when
 * empty, "<label> status <n>" on error) and applies its options. */
static void load_configuration(uint32_t buffer_type, uint32_t size,
                               const char *label) {
  char *ptr = NULL;
  uint32_t len = 0;
  uint32_t st = proxy_get_buffer_bytes(buffer_type, 0, size, &ptr, &len);
  line_reset();
  line_str(label);
  if (st != 0) {
    line_str(" status ");
    line_u32(st);
    line_emit(LOG_INFO);
    return;
  }
  if (len > 0) {
    line_str(" ");
    line_bytes(ptr, len);
  }
  line_emit(LOG_INFO);
  apply_options(ptr, len);
}

/* ------------------------------------------------------------------------ */
/* Local reply payload: the pairs encoding of {"x-recorder": "yes"}.        */
/*   u32 count=1 | u32 len("x-recorder")=10 | u32 len("yes")=3 |            */
/*   "x-recorder\0yes\0"   (4 + 8 + 11 + 4 = 27 bytes)                      */
/* ------------------------------------------------------------------------ */
static const char local_reply_headers[27] = {
    1, 0, 0, 0,  10, 0, 0, 0,  3, 0, 0, 0,
    'x', '-', 'r', 'e', 'c', 'o', 'r', 'd', 'e', 'r', '\0',
    'y', 'e', 's', '\0'};
static const char local_reply_details[] = "denied by recorder";
static const char local_reply_body[] = "forbidden";

/* ------------------------------------------------------------------------ */
/* The common path of every callback.                                       */
/* ------------------------------------------------------------------------ */

/* Logs "<callback_name> <arg1> <arg2> ...". */
static void log_call(enum callback cb, const uint32_t *args, int nargs) {
  if (!options_ready) reset_options(); /* defaults before any vm_start */
  line_reset();
  line_str(callback_names[cb]);
  for (int i = 0; i < nargs; i++) {
    line_str(" ");
    line_u32(args[i]);
  }
  line_emit(LOG_INFO);
}

/* Performs the side effects configured for cb and returns its result. */
static uint32_t act(enum callback cb) {
  const struct behaviour *b = &behaviours[cb];

  if (b->grow) {
    /* Try 65536 pages (4 GiB), halve the step on failure, until even a single
     * page cannot be added: memory is then at the host's limit. */
    uint32_t step = 65536;
    for (;;) {
      if (__builtin_wasm_memory_grow(0, step) != (size_t)-1) continue;
      if (step == 1) break;
      step /= 2;
    }
    log_text("grow failed");
    log_status("memory_pages", (uint32_t)__builtin_wasm_memory_size(0));
  }
  if (b->local_reply) {
    uint32_t st = proxy_send_local_response(
        403, local_reply_details, sizeof(local_reply_details) - 1,
        local_reply_body, sizeof(local_reply_body) - 1, local_reply_headers,
        sizeof(local_reply_headers), -1);
    log_status("proxy_send_local_response", st);
  }
  if (b->do_continue)
    log_status("proxy_continue_stream", proxy_continue_stream(b->continue_type));
  if (b->done) log_status("proxy_done", proxy_done());
  if (b->do_exit) {
    wasi_proc_exit(b->exit_code);
    log_text("proc_exit returned");
  }
  if (b->trap) __builtin_trap();
  if (b->loop) {
    volatile uint32_t spins = 0;
    for (;;) spins++;
  }
  return (uint32_t)b->result;
}

/* The callback line, then the actions. */
#define CALL(cb, ...)                                                   \
  do {                                                                  \
    const uint32_t args_[] = {__VA_ARGS__};                             \
    log_call(cb, args_, (int)(sizeof(args_) / sizeof(args_[0])));       \
  } while (0)

/* ------------------------------------------------------------------------ */
/* Exports.                                                                 */
/* ------------------------------------------------------------------------ */

/* ABI version marker: never called. */
EXPORT("proxy_abi_version_0_2_1") void proxy_abi_version_0_2_1(void) {}

/* Bump allocator. __heap_base is set by wasm-ld just past data and stack. */
extern unsigned char __heap_base;
static uintptr_t heap_top;

EXPORT("proxy_on_memory_allocate")
void *proxy_on_memory_allocate(uint32_t size) {
  if (alloc_trap) __builtin_trap();
  if (alloc_fail) return NULL;
  if (heap_top == 0) heap_top = (uintptr_t)&__heap_base;
  uintptr_t p = (heap_top + 15) & ~(uintptr_t)15;
  if (size > 0xFFFFFFFFu - p) return NULL;
  uintptr_t end = p + size;
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    uintptr_t pages = (end - have + 65535) / 65536;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return NULL;
  }
  heap_top = end;
  return (void *)p;
}

/* The same allocator under the deprecated name. */
EXPORT("malloc") void *malloc(uint32_t size) {
  return proxy_on_memory_allocate(size);
}

/* -- Lifecycle and root-context callbacks -- */

EXPORT("proxy_on_context_create")
void proxy_on_context_create(uint32_t context_id, uint32_t parent_id) {
  CALL(CB_CONTEXT_CREATE, context_id, parent_id);
  act(CB_CONTEXT_CREATE);
}

EXPORT("proxy_on_vm_start")
uint32_t proxy_on_vm_start(uint32_t root_id, uint32_t vm_config_size) {
  CALL(CB_VM_START, root_id, vm_config_size);
  reset_options();
  load_configuration(BUFFER_VM_CONFIGURATION, vm_config_size, "vm_config");
  return act(CB_VM_START);
}

EXPORT("proxy_validate_configuration")
uint32_t proxy_validate_configuration(uint32_t root_id, uint32_t size) {
  CALL(CB_VALIDATE_CONFIGURATION, root_id, size);
  return act(CB_VALIDATE_CONFIGURATION);
}

EXPORT("proxy_on_configure")
uint32_t proxy_on_configure(uint32_t root_id, uint32_t plugin_config_size) {
  CALL(CB_CONFIGURE, root_id, plugin_config_size);
  load_configuration(BUFFER_PLUGIN_CONFIGURATION, plugin_config_size,
                     "plugin_config");
  if (have_tick)
    log_status("proxy_set_tick_period_milliseconds",
               proxy_set_tick_period_milliseconds(tick_ms));
  return act(CB_CONFIGURE);
}

EXPORT("proxy_on_tick")
void proxy_on_tick(uint32_t root_id) {
  CALL(CB_TICK, root_id);
  act(CB_TICK);
}

EXPORT("proxy_on_queue_ready")
void proxy_on_queue_ready(uint32_t root_id, uint32_t queue_id) {
  CALL(CB_QUEUE_READY, root_id, queue_id);
  act(CB_QUEUE_READY);
}

EXPORT("proxy_on_foreign_function")
void proxy_on_foreign_function(uint32_t root_id, uint32_t function_id,
                               uint32_t args_size) {
  CALL(CB_FOREIGN_FUNCTION, root_id, function_id, args_size);
  act(CB_FOREIGN_FUNCTION);
}

/* -- TCP -- */

EXPORT("proxy_on_new_connection")
uint32_t proxy_on_new_connection(uint32_t context_id) {
  CALL(CB_NEW_CONNECTION, context_id);
  return act(CB_NEW_CONNECTION);
}

EXPORT("proxy_on_downstream_data")
uint32_t proxy_on_downstream_data(uint32_t context_id, uint32_t data_size,
                                  uint32_t end_of_stream) {
  CALL(CB_DOWNSTREAM_DATA, context_id, data_size, end_of_stream);
  return act(CB_DOWNSTREAM_DATA);
}

EXPORT("proxy_on_upstream_data")
uint32_t proxy_on_upstream_data(uint32_t context_id, uint32_t data_size,
                                uint32_t end_of_stream) {
  CALL(CB_UPSTREAM_DATA, context_id, data_size, end_of_stream);
  return act(CB_UPSTREAM_DATA);
}

EXPORT("proxy_on_downstream_connection_close")
void proxy_on_downstream_connection_close(uint32_t context_id,
                                          uint32_t peer_type) {
  CALL(CB_DOWNSTREAM_CONNECTION_CLOSE, context_id, peer_type);
  act(CB_DOWNSTREAM_CONNECTION_CLOSE);
}

EXPORT("proxy_on_upstream_connection_close")
void proxy_on_upstream_connection_close(uint32_t context_id,
                                        uint32_t peer_type) {
  CALL(CB_UPSTREAM_CONNECTION_CLOSE, context_id, peer_type);
  act(CB_UPSTREAM_CONNECTION_CLOSE);
}

/* -- HTTP -- */

EXPORT("proxy_on_request_headers")
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t num_headers,
                                  uint32_t end_of_stream) {
  CALL(CB_REQUEST_HEADERS, context_id, num_headers, end_of_stream);
  return act(CB_REQUEST_HEADERS);
}

EXPORT("proxy_on_request_body")
uint32_t proxy_on_request_body(uint32_t context_id, uint32_t body_size,
                               uint32_t end_of_stream) {
  CALL(CB_REQUEST_BODY, context_id, body_size, end_of_stream);
  return act(CB_REQUEST_BODY);
}

EXPORT("proxy_on_request_trailers")
uint32_t proxy_on_request_trailers(uint32_t context_id, uint32_t num_trailers) {
  CALL(CB_REQUEST_TRAILERS, context_id, num_trailers);
  return act(CB_REQUEST_TRAILERS);
}

EXPORT("proxy_on_request_metadata")
uint32_t proxy_on_request_metadata(uint32_t context_id, uint32_t num_elements) {
  CALL(CB_REQUEST_METADATA, context_id, num_elements);
  return act(CB_REQUEST_METADATA);
}

EXPORT("proxy_on_response_headers")
uint32_t proxy_on_response_headers(uint32_t context_id, uint32_t num_headers,
                                   uint32_t end_of_stream) {
  CALL(CB_RESPONSE_HEADERS, context_id, num_headers, end_of_stream);
  return act(CB_RESPONSE_HEADERS);
}

EXPORT("proxy_on_response_body")
uint32_t proxy_on_response_body(uint32_t context_id, uint32_t body_size,
                                uint32_t end_of_stream) {
  CALL(CB_RESPONSE_BODY, context_id, body_size, end_of_stream);
  return act(CB_RESPONSE_BODY);
}

EXPORT("proxy_on_response_trailers")
uint32_t proxy_on_response_trailers(uint32_t context_id,
                                    uint32_t num_trailers) {
  CALL(CB_RESPONSE_TRAILERS, context_id, num_trailers);
  return act(CB_RESPONSE_TRAILERS);
}

EXPORT("proxy_on_response_metadata")
uint32_t proxy_on_response_metadata(uint32_t context_id,
                                    uint32_t num_elements) {
  CALL(CB_RESPONSE_METADATA, context_id, num_elements);
  return act(CB_RESPONSE_METADATA);
}

/* -- Callouts (delivered to the root context) -- */

EXPORT("proxy_on_http_call_response")
void proxy_on_http_call_response(uint32_t root_id, uint32_t call_id,
                                 uint32_t num_headers, uint32_t body_size,
                                 uint32_t num_trailers) {
  CALL(CB_HTTP_CALL_RESPONSE, root_id, call_id, num_headers, body_size,
       num_trailers);
  act(CB_HTTP_CALL_RESPONSE);
}

EXPORT("proxy_on_grpc_receive_initial_metadata")
void proxy_on_grpc_receive_initial_metadata(uint32_t root_id, uint32_t call_id,
                                            uint32_t num_elements) {
  CALL(CB_GRPC_RECEIVE_INITIAL_METADATA, root_id, call_id, num_elements);
  act(CB_GRPC_RECEIVE_INITIAL_METADATA);
}

EXPORT("proxy_on_grpc_receive")
void proxy_on_grpc_receive(uint32_t root_id, uint32_t call_id,
                           uint32_t message_size) {
  CALL(CB_GRPC_RECEIVE, root_id, call_id, message_size);
  act(CB_GRPC_RECEIVE);
}

EXPORT("proxy_on_grpc_receive_trailing_metadata")
void proxy_on_grpc_receive_trailing_metadata(uint32_t root_id,
                                             uint32_t call_id,
                                             uint32_t num_elements) {
  CALL(CB_GRPC_RECEIVE_TRAILING_METADATA, root_id, call_id, num_elements);
  act(CB_GRPC_RECEIVE_TRAILING_METADATA);
}

EXPORT("proxy_on_grpc_close")
void proxy_on_grpc_close(uint32_t root_id, uint32_t call_id,
                         uint32_t grpc_status) {
  CALL(CB_GRPC_CLOSE, root_id, call_id, grpc_status);
  act(CB_GRPC_CLOSE);
}

/* -- End of a context -- */

EXPORT("proxy_on_done")
uint32_t proxy_on_done(uint32_t context_id) {
  CALL(CB_DONE, context_id);
  return act(CB_DONE);
}

EXPORT("proxy_on_log")
void proxy_on_log(uint32_t context_id) {
  CALL(CB_LOG, context_id);
  act(CB_LOG);
}

EXPORT("proxy_on_delete")
void proxy_on_delete(uint32_t context_id) {
  CALL(CB_DELETE, context_id);
  act(CB_DELETE);
}
