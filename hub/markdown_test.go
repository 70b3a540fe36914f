package hub

import (
	"encoding/json"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestMarkdown runs web/md.js in Chromium on inputs and compares the HTML
// it builds, hostile inputs among them.
func TestMarkdown(t *testing.T) {
	ctx := browser(t)
	_, host := startHub(t, Config{})
	do(t, ctx, chromedp.Navigate("http://"+host+"/"))

	cases := []struct{ in, want string }{
		{"# Title\n\ntext", "<h2>Title</h2><p>text</p>"},
		{"Setext\n===", "<h2>Setext</h2>"},
		{"a **b** *c* `d` ~~e~~", "<p>a <strong>b</strong> <em>c</em> <code>d</code> <del>e</del></p>"},
		{"snake_case_name", "<p>snake_case_name</p>"},
		{"``a ` b``", "<p><code>a ` b</code></p>"},
		{"```go\nfmt.Println(\"<b>\")\n```", `<pre><code class="language-go">fmt.Println("&lt;b&gt;")</code></pre>`},
		{"    indented\n    code", "<pre><code>indented\ncode</code></pre>"},
		{"- a\n- b\n  - c\n\n1. x\n2. y", "<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul><ol><li>x</li><li>y</li></ol>"},
		{"> quoted", "<blockquote><p>quoted</p></blockquote>"},
		{"---", "<hr>"},
		{"[ok](https://x.test/a?b=1 \"T\")", `<p><a href="https://x.test/a?b=1" title="T" rel="noopener noreferrer nofollow" target="_blank">ok</a></p>`},
		{"[rel](docs/a.md) [frag](#usage)", `<p><a href="docs/a.md">rel</a> <a href="#usage">frag</a></p>`},
		{"[x](javascript:alert(1))", "<p>x)</p>"},
		{"[x](JaVaScRiPt:alert`1`)", "<p>x</p>"},
		{"[x](data:text/html,hi)", "<p>x</p>"},
		{"![logo](https://x.test/i.png)", `<p><a href="https://x.test/i.png" rel="noopener noreferrer nofollow" target="_blank">logo</a></p>`},
		{"<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"},
		{"<https://x.test>", `<p><a href="https://x.test" rel="noopener noreferrer nofollow" target="_blank">https://x.test</a></p>`},
		{`\*not em\*`, "<p>*not em*</p>"},
	}
	ins := make([]string, len(cases))
	for i, c := range cases {
		ins[i] = c.in
	}
	arg, _ := json.Marshal(ins)
	got := run(t, ctx, chromedp.Evaluate[[]string](`import("./md.js").then((m) => `+string(arg)+`.map((src) => {
		const div = document.createElement("div");
		div.append(m.renderMarkdown(src));
		return div.innerHTML;
	}))`, chromedp.EvalAwaitPromise))
	for i, c := range cases {
		if got[i] != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.in, got[i], c.want)
		}
	}
}
