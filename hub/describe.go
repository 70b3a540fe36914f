package hub

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// maxDescription is the longest description, in runes.
const maxDescription = 200

var (
	mdImage    = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	mdLink     = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	mdEmphasis = regexp.MustCompile("(\\*\\*|__|\\*|`)")
	mdHTMLTag  = regexp.MustCompile(`<[^>]+>`)
	spaces     = regexp.MustCompile(`\s+`)
)

// describe returns the first paragraph of a markdown README as plain text,
// skipping headings, badges, code blocks and HTML, shortened at a word to
// at most maxDescription runes.
func describe(md string) string {
	var para []string
	fenced := false
	for _, line := range strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fenced = !fenced
			if len(para) > 0 {
				break
			}
			continue
		}
		if fenced {
			continue
		}
		if t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "<") ||
			strings.HasPrefix(t, "[![") || strings.HasPrefix(t, "![") ||
			strings.HasPrefix(t, "---") || strings.HasPrefix(t, "===") ||
			strings.HasPrefix(line, "    ") || strings.HasPrefix(line, "\t") {
			if len(para) > 0 {
				break
			}
			continue
		}
		para = append(para, t)
	}
	s := strings.Join(para, " ")
	s = mdImage.ReplaceAllString(s, "$1")
	s = mdLink.ReplaceAllString(s, "$1")
	s = mdHTMLTag.ReplaceAllString(s, "")
	s = mdEmphasis.ReplaceAllString(s, "")
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	return shorten(s, maxDescription)
}

// shorten cuts s at a word boundary to at most n runes, ellipsis included.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:.") + "…"
}
