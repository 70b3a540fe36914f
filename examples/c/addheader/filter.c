/*
 * addheader: a minimal Proxy-Wasm HTTP filter in plain C (ABI 0.2.1).
 *
 * Built against wasi-libc as a WASI *reactor* (exports _initialize, no
 * _start): see build.sh. No SDK is used; the proxy_* host functions are
 * declared below with the exact wasm types of the ABI.
 *
 * Behaviour:
 *   - proxy_on_configure reads the plugin configuration (buffer type 7) and
 *     keeps it, per root context.
 *   - proxy_on_request_headers adds the request header   x-c-filter: <value>
 *   - proxy_on_response_headers adds the response header x-c-filter: <value>
 *     where <value> is the plugin configuration of the stream's root context,
 *     or "c" when that configuration is empty.
 *   - every callback returns "continue" / true.
 *
 * The host hands data to the guest through the exported libc malloc (the
 * module exports no proxy_on_memory_allocate), and this filter releases those
 * blocks with free().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WASM_IMPORT(name) \
  __attribute__((import_module("env"), import_name(name)))
#define WASM_EXPORT(name) __attribute__((export_name(name)))

/* ---- Host functions (module "env"); every one returns a proxy_status_t. -- */

WASM_IMPORT("proxy_log")
uint32_t proxy_log(uint32_t level, const char *msg, size_t msg_size);

WASM_IMPORT("proxy_get_buffer_bytes")
uint32_t proxy_get_buffer_bytes(uint32_t buffer_type, uint32_t start,
                                uint32_t max_size, char **out_ptr,
                                size_t *out_size);

WASM_IMPORT("proxy_add_header_map_value")
uint32_t proxy_add_header_map_value(uint32_t map_type, const char *key,
                                    size_t key_size, const char *value,
                                    size_t value_size);

/* ---- ABI constants (doc §4). ---- */
enum { LOG_INFO = 2, LOG_ERROR = 4 };
enum { STATUS_OK = 0 };
enum { BUFFER_VM_CONFIGURATION = 6, BUFFER_PLUGIN_CONFIGURATION = 7 };
enum { MAP_REQUEST_HEADERS = 0, MAP_RESPONSE_HEADERS = 2 };
enum { ACTION_CONTINUE = 0 };

static const char HEADER_NAME[] = "x-c-filter";
static const char DEFAULT_VALUE[] = "c";

static void log_str(uint32_t level, const char *s) {
  proxy_log(level, s, strlen(s));
}

/* ---- Context bookkeeping. ----
 * A singly linked list of live contexts. Root contexts (parent 0) own a copy of
 * their plugin configuration; stream contexts point at their root id. */
struct context {
  uint32_t id;
  uint32_t root_id;  /* 0 for a root context */
  char *config;      /* root contexts only; NULL when empty */
  size_t config_size;
  struct context *next;
};

static struct context *contexts;

static struct context *find_context(uint32_t id) {
  for (struct context *c = contexts; c != NULL; c = c->next)
    if (c->id == id) return c;
  return NULL;
}

/* The value to add: the owning root's configuration, else "c". */
static void header_value(uint32_t context_id, const char **value,
                         size_t *size) {
  struct context *c = find_context(context_id);
  if (c != NULL && c->root_id != 0) c = find_context(c->root_id);
  if (c != NULL && c->config_size > 0) {
    *value = c->config;
    *size = c->config_size;
  } else {
    *value = DEFAULT_VALUE;
    *size = sizeof(DEFAULT_VALUE) - 1;
  }
}

/* ---- Exports. ---- */

/* ABI version marker: never called. */
WASM_EXPORT("proxy_abi_version_0_2_1")
void proxy_abi_version_0_2_1(void) {}

WASM_EXPORT("proxy_on_context_create")
void proxy_on_context_create(uint32_t context_id, uint32_t parent_id) {
  struct context *c = calloc(1, sizeof(*c));
  if (c == NULL) __builtin_trap();
  c->id = context_id;
  c->root_id = parent_id;
  c->next = contexts;
  contexts = c;
}

WASM_EXPORT("proxy_on_vm_start")
uint32_t proxy_on_vm_start(uint32_t root_id, uint32_t vm_config_size) {
  (void)root_id;
  (void)vm_config_size;
  log_str(LOG_INFO, "c addheader: vm started");
  return 1;
}

WASM_EXPORT("proxy_on_configure")
uint32_t proxy_on_configure(uint32_t root_id, uint32_t config_size) {
  struct context *root = find_context(root_id);
  if (root == NULL) {
    log_str(LOG_ERROR, "c addheader: on_configure for an unknown root context");
    return 0;
  }
  free(root->config);
  root->config = NULL;
  root->config_size = 0;

  if (config_size > 0) {
    char *ptr = NULL;
    size_t size = 0;
    /* The host allocates the copy with our exported malloc and hands it over;
     * an empty result comes back as (NULL, 0) without an allocation. */
    uint32_t st = proxy_get_buffer_bytes(BUFFER_PLUGIN_CONFIGURATION, 0,
                                         config_size, &ptr, &size);
    if (st != STATUS_OK) {
      log_str(LOG_ERROR, "c addheader: cannot read the plugin configuration");
      return 0;
    }
    root->config = ptr;
    root->config_size = size;
  }

  const char *v;
  size_t n;
  header_value(root_id, &v, &n);
  static const char prefix[] = "c addheader: header value ";
  char line[sizeof(prefix) + 256];
  size_t shown = n < 256 ? n : 256;
  memcpy(line, prefix, sizeof(prefix) - 1);
  memcpy(line + sizeof(prefix) - 1, v, shown);
  proxy_log(LOG_INFO, line, sizeof(prefix) - 1 + shown);
  return 1;
}

WASM_EXPORT("proxy_on_request_headers")
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t num_headers,
                                  uint32_t end_of_stream) {
  (void)num_headers;
  (void)end_of_stream;
  const char *v;
  size_t n;
  header_value(context_id, &v, &n);
  proxy_add_header_map_value(MAP_REQUEST_HEADERS, HEADER_NAME,
                             sizeof(HEADER_NAME) - 1, v, n);
  return ACTION_CONTINUE;
}

WASM_EXPORT("proxy_on_response_headers")
uint32_t proxy_on_response_headers(uint32_t context_id, uint32_t num_headers,
                                   uint32_t end_of_stream) {
  (void)num_headers;
  (void)end_of_stream;
  const char *v;
  size_t n;
  header_value(context_id, &v, &n);
  proxy_add_header_map_value(MAP_RESPONSE_HEADERS, HEADER_NAME,
                             sizeof(HEADER_NAME) - 1, v, n);
  return ACTION_CONTINUE;
}

WASM_EXPORT("proxy_on_log")
void proxy_on_log(uint32_t context_id) { (void)context_id; }

WASM_EXPORT("proxy_on_done")
uint32_t proxy_on_done(uint32_t context_id) {
  (void)context_id;
  return 1; /* done now: the host may send proxy_on_delete */
}

WASM_EXPORT("proxy_on_delete")
void proxy_on_delete(uint32_t context_id) {
  for (struct context **pp = &contexts; *pp != NULL; pp = &(*pp)->next) {
    if ((*pp)->id == context_id) {
      struct context *c = *pp;
      *pp = c->next;
      free(c->config);
      free(c);
      return;
    }
  }
}
