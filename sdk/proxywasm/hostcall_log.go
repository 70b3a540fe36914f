package proxywasm

import (
	"fmt"

	"github.com/wasmesh/wasmesh/sdk/proxywasm/internal/abi"
	"github.com/wasmesh/wasmesh/sdk/proxywasm/types"
)

// Logging. Every function calls proxy_log and ignores its status (a host
// only fails it for an invalid level or bad memory). Logging is the one host
// call allowed from init.

func logMessage(level types.LogLevel, msg string) {
	abi.ProxyLog(uint32(level), stringPtr(msg), uint32(len(msg)))
}

// LogTrace logs msg at trace level. It calls proxy_log.
func LogTrace(msg string) { logMessage(types.LogLevelTrace, msg) }

// LogTracef logs a fmt.Sprintf message at trace level. It calls proxy_log.
func LogTracef(format string, args ...any) {
	logMessage(types.LogLevelTrace, fmt.Sprintf(format, args...))
}

// LogDebug logs msg at debug level. It calls proxy_log.
func LogDebug(msg string) { logMessage(types.LogLevelDebug, msg) }

// LogDebugf logs a fmt.Sprintf message at debug level. It calls proxy_log.
func LogDebugf(format string, args ...any) {
	logMessage(types.LogLevelDebug, fmt.Sprintf(format, args...))
}

// LogInfo logs msg at info level. It calls proxy_log.
func LogInfo(msg string) { logMessage(types.LogLevelInfo, msg) }

// LogInfof logs a fmt.Sprintf message at info level. It calls proxy_log.
func LogInfof(format string, args ...any) {
	logMessage(types.LogLevelInfo, fmt.Sprintf(format, args...))
}

// LogWarn logs msg at warn level. It calls proxy_log.
func LogWarn(msg string) { logMessage(types.LogLevelWarn, msg) }

// LogWarnf logs a fmt.Sprintf message at warn level. It calls proxy_log.
func LogWarnf(format string, args ...any) {
	logMessage(types.LogLevelWarn, fmt.Sprintf(format, args...))
}

// LogError logs msg at error level. It calls proxy_log.
func LogError(msg string) { logMessage(types.LogLevelError, msg) }

// LogErrorf logs a fmt.Sprintf message at error level. It calls proxy_log.
func LogErrorf(format string, args ...any) {
	logMessage(types.LogLevelError, fmt.Sprintf(format, args...))
}

// LogCritical logs msg at critical level. It calls proxy_log.
func LogCritical(msg string) { logMessage(types.LogLevelCritical, msg) }

// LogCriticalf logs a fmt.Sprintf message at critical level. It calls
// proxy_log.
func LogCriticalf(format string, args ...any) {
	logMessage(types.LogLevelCritical, fmt.Sprintf(format, args...))
}
