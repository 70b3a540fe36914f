package route

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"github.com/wasmesh/wasmesh/host"
)

type hmKind uint8

const (
	hmPresent     hmKind = iota // present_match, or no specifier
	hmString                    // string_match and the deprecated prefix/suffix/contains/safe_regex
	hmLegacyExact               // deprecated exact_match: "" matches any value
	hmRange                     // range_match
)

// headerMatcher is a compiled HeaderMatcher.
type headerMatcher struct {
	name         string
	kind         hmKind
	present      bool
	sm           stringMatcher
	start, end   int64
	invert       bool
	missingEmpty bool // treat_missing_header_as_empty
}

func buildHeaderMatcher(hm *routev3.HeaderMatcher) (headerMatcher, error) {
	m := headerMatcher{
		name:         strings.ToLower(hm.GetName()),
		invert:       hm.GetInvertMatch(),
		missingEmpty: hm.GetTreatMissingHeaderAsEmpty(),
	}
	if m.name == "" {
		return m, errors.New("name: required")
	}
	var err error
	switch s := hm.GetHeaderMatchSpecifier().(type) {
	case nil:
		// Envoy: without a specifier the header must be present.
		m.kind, m.present = hmPresent, true
	case *routev3.HeaderMatcher_PresentMatch:
		m.kind, m.present = hmPresent, s.PresentMatch
	case *routev3.HeaderMatcher_ExactMatch:
		m.kind, m.sm = hmLegacyExact, stringMatcher{kind: smExact, s: s.ExactMatch}
	case *routev3.HeaderMatcher_PrefixMatch:
		m.kind, m.sm = hmString, stringMatcher{kind: smPrefix, s: s.PrefixMatch}
	case *routev3.HeaderMatcher_SuffixMatch:
		m.kind, m.sm = hmString, stringMatcher{kind: smSuffix, s: s.SuffixMatch}
	case *routev3.HeaderMatcher_ContainsMatch:
		m.kind, m.sm = hmString, stringMatcher{kind: smContains, s: s.ContainsMatch, b: []byte(s.ContainsMatch)}
	case *routev3.HeaderMatcher_SafeRegexMatch:
		m.kind = hmString
		m.sm.kind = smRegex
		if m.sm.re, err = compileFull(s.SafeRegexMatch.GetRegex()); err != nil {
			return m, fmt.Errorf("safe_regex_match: %w", err)
		}
	case *routev3.HeaderMatcher_RangeMatch:
		m.kind, m.start, m.end = hmRange, s.RangeMatch.GetStart(), s.RangeMatch.GetEnd()
	case *routev3.HeaderMatcher_StringMatch:
		m.kind = hmString
		if m.sm, err = buildStringMatcher(s.StringMatch); err != nil {
			return m, fmt.Errorf("string_match: %w", err)
		}
	default:
		return m, fmt.Errorf("%s: not supported", whichOneof(hm, "header_match_specifier"))
	}
	return m, nil
}

// match evaluates the matcher as Envoy does: the values of a repeated header
// are joined with ","; a missing header never matches (whatever
// invert_match says) unless treat_missing_header_as_empty; present_match
// compares presence, then invert_match inverts.
func (m *headerMatcher) match(h *host.Headers) bool {
	v, found := joinedValue(h, m.name)
	if m.kind == hmPresent {
		return (found == m.present) != m.invert
	}
	if !found {
		if !m.missingEmpty {
			return false
		}
		v = nil
	}
	var ok bool
	switch m.kind {
	case hmString:
		ok = m.sm.match(v)
	case hmLegacyExact:
		ok = m.sm.s == "" || string(v) == m.sm.s
	case hmRange:
		n, valid := parseInt(v)
		ok = valid && n >= m.start && n < m.end
	}
	return ok != m.invert
}

// joinedValue returns the values of name joined by ",", allocating only
// when the header is repeated.
func joinedValue(h *host.Headers, name string) ([]byte, bool) {
	var first []byte
	var joined []byte
	found := false
	for i, n := 0, h.Len(); i < n; i++ {
		k, v := h.Field(i)
		if string(k) != name {
			continue
		}
		switch {
		case !found:
			first, found = v, true
		case joined == nil:
			joined = make([]byte, 0, len(first)+1+len(v))
			joined = append(append(append(joined, first...), ','), v...)
		default:
			joined = append(append(joined, ','), v...)
		}
	}
	if joined != nil {
		return joined, true
	}
	return first, found
}

// parseInt parses a decimal int64 with optional sign and surrounding blanks,
// as absl::SimpleAtoi.
func parseInt(b []byte) (int64, bool) {
	b = trimSpace(b)
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var x uint64
	for _, c := range b {
		if c < '0' || c > '9' || x > (1<<63)/10 {
			return 0, false
		}
		x = x*10 + uint64(c-'0')
		if x > 1<<63 {
			return 0, false
		}
	}
	if neg {
		return -int64(x), true // -(1<<63) wraps to itself: MinInt64
	}
	if x > 1<<63-1 {
		return 0, false
	}
	return int64(x), true
}

type smKind uint8

const (
	smExact smKind = iota
	smPrefix
	smSuffix
	smContains
	smRegex
)

// stringMatcher is a compiled type.matcher.v3.StringMatcher.
type stringMatcher struct {
	kind smKind
	s    string
	b    []byte // s as bytes (contains)
	fold bool   // ignore_case (ASCII); ignored for regexes, as in Envoy
	re   *regexp.Regexp
}

func buildStringMatcher(sm *matcherv3.StringMatcher) (stringMatcher, error) {
	m := stringMatcher{fold: sm.GetIgnoreCase()}
	switch p := sm.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		m.kind, m.s = smExact, p.Exact
	case *matcherv3.StringMatcher_Prefix:
		m.kind, m.s = smPrefix, p.Prefix
	case *matcherv3.StringMatcher_Suffix:
		m.kind, m.s = smSuffix, p.Suffix
	case *matcherv3.StringMatcher_Contains:
		m.kind, m.s = smContains, p.Contains
		if m.fold {
			m.s = strings.ToLower(p.Contains)
		}
		m.b = []byte(m.s)
	case *matcherv3.StringMatcher_SafeRegex:
		re, err := compileFull(p.SafeRegex.GetRegex())
		if err != nil {
			return m, fmt.Errorf("safe_regex: %w", err)
		}
		m.kind, m.re, m.fold = smRegex, re, false
	default:
		return m, fmt.Errorf("%s: not supported", whichOneof(sm, "match_pattern"))
	}
	return m, nil
}

func (m *stringMatcher) match(v []byte) bool {
	switch m.kind {
	case smExact:
		if m.fold {
			return equalFoldASCII(v, m.s)
		}
		return string(v) == m.s
	case smPrefix:
		return hasPrefix(v, m.s, m.fold)
	case smSuffix:
		if len(v) < len(m.s) {
			return false
		}
		return hasPrefix(v[len(v)-len(m.s):], m.s, m.fold)
	case smContains:
		if m.fold {
			return containsFold(v, m.s)
		}
		return bytes.Contains(v, m.b)
	case smRegex:
		return m.re.Match(v)
	}
	return false
}

// containsFold reports whether v contains the lower-case needle, ignoring
// ASCII case in v.
func containsFold(v []byte, needle string) bool {
	for i := 0; i+len(needle) <= len(v); i++ {
		if equalFoldASCII(v[i:i+len(needle)], needle) {
			return true
		}
	}
	return false
}
