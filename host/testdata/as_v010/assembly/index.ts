// AddHeader for Proxy-Wasm ABI 0.1.0, written against
// @solo-io/proxy-runtime 0.1.1 (AssemblyScript 0.9.4). Host test fixture.
//
// Same filter as examples/assemblyscript/addheader, adapted to the older SDK:
//   * contexts are wrapped with RootContextHelper / ContextHelper (no closures
//     over class methods in AS 0.9),
//   * onConfigure() takes no argument and reads the plugin configuration with
//     the 0.1.0-only import proxy_get_configuration (via getConfiguration()),
//   * header callbacks have the 0.1.0 shape (context_id, num_headers): there is
//     no end_of_stream parameter.
//
// On every HTTP response it adds "hello: <plugin configuration>", or
// "hello: world!" when the configuration is empty.

// Re-export the proxy_* callbacks, malloc and the ABI marker of the SDK.
export * from "@solo-io/proxy-runtime/proxy";

import {
  RootContext,
  Context,
  RootContextHelper,
  ContextHelper,
  registerRootContext,
  FilterHeadersStatusValues,
  stream_context,
} from "@solo-io/proxy-runtime";

class AddHeaderRoot extends RootContext {
  configuration: string = "";

  onConfigure(): bool {
    // proxy_get_configuration(ptr_ptr, size_ptr): the plugin configuration.
    let conf_buffer = super.getConfiguration();
    this.configuration = String.UTF8.decode(conf_buffer);
    return true;
  }

  createContext(): Context {
    return ContextHelper.wrap(new AddHeader(this));
  }
}

class AddHeader extends Context {
  root: AddHeaderRoot;

  constructor(root_context: AddHeaderRoot) {
    super();
    this.root = root_context;
  }

  onResponseHeaders(a: u32): FilterHeadersStatusValues {
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
registerRootContext(() => {
  return RootContextHelper.wrap(new AddHeaderRoot());
}, "add_header");
