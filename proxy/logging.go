package proxy

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmesh/wasmesh/host"
)

// Logger writes Envoy-style log lines, with a level per component (Envoy's
// loggers: "main", "config", "http", "router", "upstream", "wasm", "admin",
// ...). The default format is Envoy's:
//
//	[2026-11-21 06:30:00.123][1234][info][wasm] [source/extensions/common/wasm/context.cc:1192] wasm log: hello
//
// and --log-format "%v" prints the message alone. It is safe for concurrent
// use; levels change at run time through the admin /logging endpoint.
type Logger struct {
	mu       sync.Mutex
	w        io.Writer
	format   string
	def      atomic.Uint32
	levels   sync.Map // component -> *atomic.Uint32
	pid      int
	knownLvl []string
}

// Components are the loggers wasmesh uses, listed by /logging.
var Components = []string{"admin", "config", "connection", "http", "main", "router", "upstream", "wasm"}

// sources mimic the Envoy source location printed by the default format,
// so that tools parsing Envoy logs keep working.
var sources = map[string]string{
	"wasm":       "source/extensions/common/wasm/context.cc:1192",
	"main":       "source/server/server.cc:950",
	"config":     "source/server/configuration_impl.cc:168",
	"admin":      "source/server/admin/admin.cc:71",
	"http":       "source/common/http/conn_manager_impl.cc:391",
	"router":     "source/common/router/router.cc:751",
	"upstream":   "source/common/upstream/cluster_manager_impl.cc:240",
	"connection": "source/common/network/connection_impl.cc:141",
}

// NewLogger returns a logger writing to w (os.Stderr when nil) at level for
// every component. format is Envoy's --log-format; "" means Envoy's default.
func NewLogger(w io.Writer, level host.LogLevel, format string) *Logger {
	if w == nil {
		w = os.Stderr
	}
	l := &Logger{w: w, format: format, pid: os.Getpid()}
	l.def.Store(uint32(level))
	for _, c := range Components {
		v := &atomic.Uint32{}
		v.Store(uint32(level))
		l.levels.Store(c, v)
	}
	return l
}

func (l *Logger) level(component string) *atomic.Uint32 {
	if v, ok := l.levels.Load(component); ok {
		return v.(*atomic.Uint32)
	}
	v := &atomic.Uint32{}
	v.Store(l.def.Load())
	actual, _ := l.levels.LoadOrStore(component, v)
	return actual.(*atomic.Uint32)
}

// SetLevel sets one component's level.
func (l *Logger) SetLevel(component string, level host.LogLevel) {
	l.level(component).Store(uint32(level))
}

// SetAll sets every component's level (Envoy's /logging?level=).
func (l *Logger) SetAll(level host.LogLevel) {
	l.def.Store(uint32(level))
	l.levels.Range(func(_, v any) bool { v.(*atomic.Uint32).Store(uint32(level)); return true })
}

// Level returns a component's level.
func (l *Logger) Level(component string) host.LogLevel {
	return host.LogLevel(l.level(component).Load())
}

// Levels returns every component and its level, sorted by name.
func (l *Logger) Levels() [][2]string {
	var out [][2]string
	l.levels.Range(func(k, v any) bool {
		out = append(out, [2]string{k.(string), host.LogLevel(v.(*atomic.Uint32).Load()).String()})
		return true
	})
	sortPairs(out)
	return out
}

// Enabled reports whether a component logs at level.
func (l *Logger) Enabled(component string, level host.LogLevel) bool {
	min := host.LogLevel(l.level(component).Load())
	return min != host.LogOff && level >= min
}

// Logf logs a formatted message for a component.
func (l *Logger) Logf(component string, level host.LogLevel, format string, args ...any) {
	if !l.Enabled(component, level) {
		return
	}
	l.write(component, level, fmt.Sprintf(format, args...))
}

func (l *Logger) write(component string, level host.LogLevel, msg string) {
	var line string
	switch l.format {
	case "%v":
		line = msg
	case "":
		lv := level.String()
		if level == host.LogError {
			lv = "error"
		}
		line = fmt.Sprintf("[%s][%d][%s][%s] [%s] %s", time.Now().Format("2006-01-02 15:04:05.000"), l.pid, lv, component, sources[component], msg)
	default:
		line = formatLine(l.format, component, level, msg, l.pid)
	}
	l.mu.Lock()
	io.WriteString(l.w, line+"\n")
	l.mu.Unlock()
}

// formatLine expands the spdlog flags Envoy users put in --log-format.
func formatLine(format, component string, level host.LogLevel, msg string, pid int) string {
	var b strings.Builder
	now := time.Now()
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		switch format[i] {
		case 'v':
			b.WriteString(msg)
		case 'l':
			b.WriteString(level.String())
		case 'n':
			b.WriteString(component)
		case 't', 'P':
			fmt.Fprint(&b, pid)
		case 'Y':
			b.WriteString(now.Format("2006"))
		case 'm':
			b.WriteString(now.Format("01"))
		case 'd':
			b.WriteString(now.Format("02"))
		case 'T':
			b.WriteString(now.Format("15:04:05"))
		case 'e':
			fmt.Fprintf(&b, "%03d", now.Nanosecond()/1e6)
		case 'H':
			b.WriteString(now.Format("15"))
		case 'M':
			b.WriteString(now.Format("04"))
		case 'S':
			b.WriteString(now.Format("05"))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(format[i])
		}
	}
	return b.String()
}

// wasmLogger adapts the "wasm" component to host.Logger.
type wasmLogger struct{ l *Logger }

func (w wasmLogger) Level() host.LogLevel { return w.l.Level("wasm") }

func (w wasmLogger) Log(level host.LogLevel, msg string) {
	if w.l.Enabled("wasm", level) {
		w.l.write("wasm", level, msg)
	}
}

func sortPairs(p [][2]string) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j][0] < p[j-1][0]; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}
