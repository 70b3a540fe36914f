package route

import (
	"fmt"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/wasmesh/wasmesh/host"
)

// mutations is one level's headers_to_remove and headers_to_add, Envoy's
// HeaderParser.
type mutations struct {
	remove []string
	add    []headerOp
}

type headerOp struct {
	name      string
	value     tmpl
	action    corev3.HeaderValueOption_HeaderAppendAction
	keepEmpty bool
}

// removable is Envoy's HeaderUtility::isRemovableHeader (and
// isModifiableHeader): pseudo-headers and host are off limits.
func removable(name string) bool {
	return (name == "" || name[0] != ':') && name != "host"
}

func buildMutations(addField, removeField string, add []*corev3.HeaderValueOption, remove []string) (*mutations, error) {
	if len(add) == 0 && len(remove) == 0 {
		return nil, nil
	}
	m := &mutations{}
	for i, r := range remove {
		n := strings.ToLower(r)
		if n == "" || !removable(n) {
			return nil, fmt.Errorf("%s[%d]: %q: :-prefixed or host headers may not be removed", removeField, i, r)
		}
		m.remove = append(m.remove, n)
	}
	for i, o := range add {
		hv := o.GetHeader()
		name := strings.ToLower(hv.GetKey())
		if name == "" {
			return nil, fmt.Errorf("%s[%d].header.key: required", addField, i)
		}
		if !removable(name) {
			return nil, fmt.Errorf("%s[%d].header.key: %q: :-prefixed or host headers may not be modified", addField, i, hv.GetKey())
		}
		action := o.GetAppendAction()
		if a := o.GetAppend(); a != nil {
			if action != corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD {
				return nil, fmt.Errorf("%s[%d]: both append and append_action are set and it's not allowed", addField, i)
			}
			if !a.GetValue() {
				action = corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD
			}
		}
		switch action {
		case corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD, corev3.HeaderValueOption_ADD_IF_ABSENT,
			corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD, corev3.HeaderValueOption_OVERWRITE_IF_EXISTS:
		default:
			return nil, fmt.Errorf("%s[%d].append_action: unknown value %d", addField, i, action)
		}
		value := hv.GetValue()
		if raw := hv.GetRawValue(); len(raw) > 0 {
			if value != "" {
				return nil, fmt.Errorf("%s[%d].header: only one of value and raw_value may be set", addField, i)
			}
			value = string(raw)
		}
		m.add = append(m.add, headerOp{name: name, value: parseTemplate(value), action: action, keepEmpty: o.GetKeepEmptyValue()})
	}
	return m, nil
}

type pendingHeader struct {
	name, value string
	overwrite   bool
}

// apply is Envoy's HeaderParser::evaluateHeaders: remove first; then format
// every value against the headers as they are now; drop empty values unless
// keep_empty_value; apply the overwrites, then the appends.
func (m *mutations) apply(h *host.Headers, vars Vars, request bool) {
	if m == nil {
		return
	}
	for _, n := range m.remove {
		h.Del(n)
	}
	if len(m.add) == 0 {
		return
	}
	var buf [8]pendingHeader
	pend := buf[:0]
	for i := range m.add {
		op := &m.add[i]
		v := op.value.eval(h, vars, request)
		if v == "" && !op.keepEmpty {
			continue
		}
		switch op.action {
		case corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD:
			pend = append(pend, pendingHeader{op.name, v, false})
		case corev3.HeaderValueOption_ADD_IF_ABSENT:
			if _, ok := headerValue(h, op.name); !ok {
				pend = append(pend, pendingHeader{op.name, v, false})
			}
		case corev3.HeaderValueOption_OVERWRITE_IF_EXISTS:
			if _, ok := headerValue(h, op.name); ok {
				pend = append(pend, pendingHeader{op.name, v, true})
			}
		case corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD:
			pend = append(pend, pendingHeader{op.name, v, true})
		}
	}
	// Envoy's setReferenceKey removes every entry and appends the new one.
	for _, p := range pend {
		if p.overwrite {
			h.Del(p.name)
			h.Add(p.name, p.value)
		}
	}
	for _, p := range pend {
		if !p.overwrite {
			h.Add(p.name, p.value)
		}
	}
}

// tmpl is a header value with Envoy substitution-format commands
// ("%COMMAND%", "%COMMAND(args)%", "%COMMAND(args):N%"; "%%" is a literal
// '%'). Text that does not form a command is kept as is.
type tmpl struct {
	lit   string // the whole value when it has no command
	parts []tmplPart
}

const (
	sideNone = iota
	sideReq  // %REQ(...)%
	sideResp // %RESP(...)%
)

type tmplPart struct {
	lit  string
	cmd  string   // command without the '%'; "" for literal text
	side int      // header command kind
	hdrs []string // REQ/RESP header and alternative, lower-cased
	max  int      // ":N" truncation, 0 for none
}

func parseTemplate(s string) tmpl {
	if strings.IndexByte(s, '%') < 0 {
		return tmpl{lit: s}
	}
	var parts []tmplPart
	var lit strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '%' {
			lit.WriteByte(s[i])
			i++
			continue
		}
		if i+1 < len(s) && s[i+1] == '%' {
			lit.WriteByte('%')
			i += 2
			continue
		}
		n := commandLen(s[i+1:])
		if n == 0 {
			lit.WriteByte('%')
			i++
			continue
		}
		if lit.Len() > 0 {
			parts = append(parts, tmplPart{lit: lit.String()})
			lit.Reset()
		}
		parts = append(parts, newCommand(s[i+1:i+1+n]))
		i += n + 2
	}
	if parts == nil {
		return tmpl{lit: lit.String()}
	}
	if lit.Len() > 0 {
		parts = append(parts, tmplPart{lit: lit.String()})
	}
	return tmpl{parts: parts}
}

// commandLen returns the length of the command that starts s and is closed
// by a '%', or 0.
func commandLen(s string) int {
	i := 0
	for i < len(s) && (s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9' || s[i] == '_') {
		i++
	}
	if i == 0 {
		return 0
	}
	if i < len(s) && s[i] == '(' {
		j := strings.IndexByte(s[i:], ')')
		if j < 0 {
			return 0
		}
		i += j + 1
	}
	if i < len(s) && s[i] == ':' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 {
			return 0
		}
		i = j
	}
	if i < len(s) && s[i] == '%' {
		return i
	}
	return 0
}

func newCommand(cmd string) tmplPart {
	p := tmplPart{cmd: cmd}
	name, rest, ok := strings.Cut(cmd, "(")
	if !ok || (name != "REQ" && name != "RESP") {
		return p
	}
	args, suffix, _ := strings.Cut(rest, ")")
	if suffix != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(suffix, ":"))
		if err != nil || n <= 0 || suffix[0] != ':' {
			return p
		}
		p.max = n
	}
	main, alt, hasAlt := strings.Cut(args, "?")
	p.hdrs = []string{strings.ToLower(main)}
	if hasAlt {
		p.hdrs = append(p.hdrs, strings.ToLower(alt))
	}
	p.side = sideReq
	if name == "RESP" {
		p.side = sideResp
	}
	return p
}

func (t *tmpl) eval(h *host.Headers, vars Vars, request bool) string {
	if t.parts == nil {
		return t.lit
	}
	var b strings.Builder
	for i := range t.parts {
		p := &t.parts[i]
		switch {
		case p.cmd == "":
			b.WriteString(p.lit)
		case p.side == sideReq && request, p.side == sideResp && !request:
			b.WriteString(p.header(h))
		default:
			if vars != nil {
				if v, ok := vars(p.cmd); ok {
					b.WriteString(v)
					continue
				}
			}
			b.WriteByte('%')
			b.WriteString(p.cmd)
			b.WriteByte('%')
		}
	}
	return b.String()
}

// header is Envoy's REQ/RESP formatter in a header value: the first value of
// the header, else of the alternative, truncated to max bytes; "" when
// absent (header formatting omits empty values rather than printing "-").
func (p *tmplPart) header(h *host.Headers) string {
	for _, name := range p.hdrs {
		if v, ok := h.Get(name); ok {
			if p.max > 0 && len(v) > p.max {
				v = v[:p.max]
			}
			return v
		}
	}
	return ""
}
