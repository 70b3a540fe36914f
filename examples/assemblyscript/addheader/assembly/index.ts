// AddHeader: the classic "hello world" Proxy-Wasm filter, in the shape of the
// wasme AssemblyScript template, written against @solo-io/proxy-runtime 0.1.8
// (Proxy-Wasm ABI 0.2.0).
//
// On every HTTP response it adds the header
//     hello: <plugin configuration>
// or "hello: world!" when the configuration string is empty (see README.md:
// with an empty plugin configuration this SDK version traps in onConfigure
// before our code runs, so the fallback is only reachable in theory).

// Re-export the proxy_* callbacks, malloc/free and the ABI marker of the SDK.
export * from "@solo-io/proxy-runtime/proxy";

import {
  RootContext,
  Context,
  registerRootContext,
  FilterHeadersStatusValues,
  stream_context,
} from "@solo-io/proxy-runtime";

// The root (plugin) context: one per plugin configuration. It keeps the
// configuration string for the stream contexts it creates.
class AddHeaderRoot extends RootContext {
  configuration: string = "";

  onConfigure(configuration_size: u32): bool {
    // The SDK's base implementation reads buffer 7 (PLUGIN_CONFIGURATION)
    // with proxy_get_buffer_bytes and stores it as a UTF-8 string.
    if (!super.onConfigure(configuration_size)) {
      return false;
    }
    this.configuration = super.getConfiguration();
    return true;
  }

  createContext(context_id: u32): Context {
    return new AddHeader(context_id, this);
  }
}

// One stream context per HTTP request/response pair.
class AddHeader extends Context {
  root: AddHeaderRoot;

  constructor(context_id: u32, root_context: AddHeaderRoot) {
    super(context_id, root_context);
    this.root = root_context;
  }

  onResponseHeaders(a: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const value = this.root.configuration;
    if (value == "") {
      stream_context.headers.response.add("hello", "world!");
    } else {
      stream_context.headers.response.add("hello", value);
    }
    return FilterHeadersStatusValues.Continue;
  }
}

// Runs from the Wasm start section at instantiation time.
registerRootContext((context_id: u32): RootContext => {
  return new AddHeaderRoot(context_id);
}, "add_header");
