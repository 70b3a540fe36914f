package proxy

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	filev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	streamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
)

// defaultAccessFormat is Envoy's default access log format.
const defaultAccessFormat = `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"` + "\n"

// accessLog is a stdout, stderr or file access logger with a text format.
type accessLog struct {
	mu     sync.Mutex
	w      io.Writer
	format string
}

func newAccessLog(al *accesslogv3.AccessLog) (*accessLog, error) {
	a := &accessLog{format: defaultAccessFormat}
	tc := al.GetTypedConfig()
	switch tc.GetTypeUrl() {
	case "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog":
		var c streamv3.StdoutAccessLog
		if err := tc.UnmarshalTo(&c); err != nil {
			return nil, err
		}
		a.w = os.Stdout
		if f := c.GetLogFormat().GetTextFormatSource().GetInlineString(); f != "" {
			a.format = f
		}
	case "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StderrAccessLog":
		var c streamv3.StderrAccessLog
		if err := tc.UnmarshalTo(&c); err != nil {
			return nil, err
		}
		a.w = os.Stderr
		if f := c.GetLogFormat().GetTextFormatSource().GetInlineString(); f != "" {
			a.format = f
		}
	case "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog":
		var c filev3.FileAccessLog
		if err := tc.UnmarshalTo(&c); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(c.GetPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		a.w = f
		if f := c.GetLogFormat().GetTextFormatSource().GetInlineString(); f != "" {
			a.format = f
		} else if f := c.GetFormat(); f != "" {
			a.format = f
		}
	default:
		return nil, fmt.Errorf("unsupported access logger %s", tc.GetTypeUrl())
	}
	return a, nil
}

func (a *accessLog) log(x *exchange) {
	line := expandAccess(a.format, x)
	a.mu.Lock()
	io.WriteString(a.w, line)
	a.mu.Unlock()
}

// expandAccess substitutes Envoy's command operators; unknown ones print "-".
func expandAccess(format string, x *exchange) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(format, '%')
		if i < 0 {
			b.WriteString(format)
			break
		}
		j := strings.IndexByte(format[i+1:], '%')
		if j < 0 {
			b.WriteString(format)
			break
		}
		b.WriteString(format[:i])
		op := format[i+1 : i+1+j]
		format = format[i+2+j:]
		if op == "" {
			b.WriteByte('%')
			continue
		}
		b.WriteString(accessOp(op, x))
	}
	return b.String()
}

func accessOp(op string, x *exchange) string {
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	hdr := func(h interface{ Get(string) (string, bool) }, spec string) string {
		if h == nil {
			return "-"
		}
		if i := strings.IndexByte(spec, ')'); i >= 0 {
			spec = spec[:i]
		}
		for _, name := range strings.Split(spec, "?") {
			if v, ok := h.Get(strings.ToLower(name)); ok {
				return v
			}
		}
		return "-"
	}
	switch {
	case op == "START_TIME":
		return x.start.UTC().Format("2006-01-02T15:04:05.000Z")
	case op == "PROTOCOL":
		return x.down.proto()
	case op == "RESPONSE_CODE":
		return strconv.Itoa(x.code)
	case op == "RESPONSE_CODE_DETAILS":
		return dash(x.details)
	case op == "RESPONSE_FLAGS":
		return x.flags.String()
	case op == "BYTES_RECEIVED":
		return strconv.FormatInt(x.reqBytes, 10)
	case op == "BYTES_SENT":
		return strconv.FormatInt(x.respBytes, 10)
	case op == "DURATION":
		return strconv.FormatInt(time.Since(x.start).Milliseconds(), 10)
	case op == "UPSTREAM_HOST":
		return dash(x.upstreamAddr)
	case op == "DOWNSTREAM_REMOTE_ADDRESS":
		return x.props.source
	case op == "ROUTE_NAME":
		return dash(x.props.routeName)
	case strings.HasPrefix(op, "REQ("):
		if x.reqHeaders == nil {
			return "-"
		}
		return hdr(x.reqHeaders, op[4:])
	case strings.HasPrefix(op, "RESP("):
		if x.respHeaders == nil {
			return "-"
		}
		return hdr(x.respHeaders, op[5:])
	}
	return "-"
}

// responseFlags are Envoy's %RESPONSE_FLAGS%, the ones wasmesh can raise.
type responseFlags uint32

// The flags in the order Envoy prints them.
const (
	flagUH  responseFlags = 1 << iota // no healthy upstream host
	flagUT                            // upstream request timeout
	flagUR                            // upstream remote reset
	flagUF                            // upstream connection failure
	flagUC                            // upstream connection termination
	flagNR                            // no route
	flagDC                            // downstream connection termination
	flagURX                           // upstream retry limit exceeded
	flagSI                            // stream idle timeout
	flagUPE                           // upstream protocol error
	flagNC                            // no cluster
)

var flagNames = [...]string{"UH", "UT", "UR", "UF", "UC", "NR", "DC", "URX", "SI", "UPE", "NC"}

func (f responseFlags) String() string {
	if f == 0 {
		return "-"
	}
	var b []byte
	for i, name := range flagNames {
		if f&(1<<i) != 0 {
			if len(b) > 0 {
				b = append(b, ',')
			}
			b = append(b, name...)
		}
	}
	return string(b)
}
