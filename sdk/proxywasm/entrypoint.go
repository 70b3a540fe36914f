package proxywasm

import "github.com/wasmesh/wasmesh/sdk/proxywasm/types"

// SetVMContext registers the VMContext of this Wasm VM. It is one of the four
// entry points (SetVMContext, SetPluginContext, SetHttpContext,
// SetTcpContext); call exactly one of them from an init function. A later
// call replaces the earlier one. It calls no host function.
func SetVMContext(ctx types.VMContext) {
	vm.vmContext = ctx
}

// SetPluginContext is the entry point for plugins that do not need the VM
// configuration: newPluginContext is called for each plugin (root) context.
// Call it from an init function. It calls no host function.
func SetPluginContext(newPluginContext func(contextID uint32) types.PluginContext) {
	SetVMContext(&elidedVMContext{newPluginContext: newPluginContext})
}

// SetHttpContext is the entry point for stateless HTTP plugins that need no
// VM or plugin context (and so no configuration): newHttpContext is called
// for each HTTP stream. Call it from an init function. It calls no host
// function.
func SetHttpContext(newHttpContext func(contextID uint32) types.HttpContext) {
	SetPluginContext(func(uint32) types.PluginContext {
		return &elidedPluginContext{newHttpContext: newHttpContext}
	})
}

// SetTcpContext is the entry point for stateless TCP plugins that need no VM
// or plugin context: newTcpContext is called for each TCP connection. Call it
// from an init function. It calls no host function.
func SetTcpContext(newTcpContext func(contextID uint32) types.TcpContext) {
	SetPluginContext(func(uint32) types.PluginContext {
		return &elidedPluginContext{newTcpContext: newTcpContext}
	})
}

// elidedVMContext stands in for the VMContext of SetPluginContext.
type elidedVMContext struct {
	types.DefaultVMContext
	newPluginContext func(contextID uint32) types.PluginContext
}

// NewPluginContext calls the factory given to SetPluginContext.
func (c *elidedVMContext) NewPluginContext(contextID uint32) types.PluginContext {
	return c.newPluginContext(contextID)
}

// elidedPluginContext stands in for the PluginContext of SetHttpContext and
// SetTcpContext.
type elidedPluginContext struct {
	types.DefaultPluginContext
	newHttpContext func(contextID uint32) types.HttpContext
	newTcpContext  func(contextID uint32) types.TcpContext
}

// NewHttpContext calls the factory given to SetHttpContext, if any.
func (c *elidedPluginContext) NewHttpContext(contextID uint32) types.HttpContext {
	if c.newHttpContext == nil {
		return nil
	}
	return c.newHttpContext(contextID)
}

// NewTcpContext calls the factory given to SetTcpContext, if any.
func (c *elidedPluginContext) NewTcpContext(contextID uint32) types.TcpContext {
	if c.newTcpContext == nil {
		return nil
	}
	return c.newTcpContext(contextID)
}
