package hub

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium. CI installs it (apt-get install
// chromium) before running the tests; elsewhere the browser test skips.
const chromiumPath = "/usr/bin/chromium"

// browser starts a headless Chromium with a fresh profile; its context
// ends with the test. Set HUB_SCREENSHOTS=DIR to keep screenshots.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium is not installed: apt-get install chromium")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	return bctx
}

// pageErrors collects uncaught exceptions and console errors, CSP
// violations among them, until the browser's context ends.
func pageErrors(t *testing.T, ctx context.Context) func() []string {
	t.Helper()
	if err := chromedp.Do(ctx); err != nil { // start the browser and the tab
		t.Fatal(err)
	}
	msgs := chromedp.Console(ctx)
	var mu sync.Mutex
	var errs []string
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				mu.Lock()
				errs = append(errs, string(m.Type)+": "+m.Text+" "+m.URL)
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), errs...)
	}
}

// screenshot saves the page to $HUB_SCREENSHOTS/name.png when set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("HUB_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := run(t, ctx, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// run runs one action and fails the test on error.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return strings.TrimSpace(run(t, ctx, chromedp.Text(chromedp.CSS(sel))))
}

func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	return run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+"`"+sel+"`"+`).length`))
}

// waitFor polls a JavaScript predicate in the page.
func waitFor(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(10*time.Second))
}

func TestBrowser(t *testing.T) {
	ctx := browser(t)
	_, host := startHub(t, Config{Title: "Test hub"})
	digests := pushAll(t, host)
	errs := pageErrors(t, ctx)

	// The list, then filtering as one types.
	do(t, ctx,
		chromedp.Navigate("http://"+host+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#modules li.module`)),
	)
	all := count(t, ctx, "#modules li.module")
	screenshot(t, ctx, "list")
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`#q`), "assembly"),
		waitFor(`document.querySelectorAll('#modules li.module').length === 1`),
	)
	first := run(t, ctx, chromedp.AttributeValue(chromedp.CSS(`#modules li.module`), "data-name")).Value
	status := text(t, ctx, "#status")
	screenshot(t, ctx, "search")
	if all != 3 || first != "filters/addheader" || !strings.Contains(status, "1 module") {
		t.Errorf("list: %d modules, then %q, status %q", all, first, status)
	}

	// The module page.
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`#modules li.module a`)),
		chromedp.WaitVisible(chromedp.CSS(`#digest code`)),
	)
	digest, abi, roots := text(t, ctx, "#digest"), text(t, ctx, "#abi"), text(t, ctx, "#root-ids")
	if digest != digests["filters/addheader:latest"].String() || abi != "v0.2.1" || roots != "add_header" {
		t.Errorf("details: digest %q, ABI %q, root IDs %q", digest, abi, roots)
	}
	heading, code := text(t, ctx, "#readme h3"), text(t, ctx, "#readme pre code")
	href := run(t, ctx, chromedp.AttributeValue(chromedp.CSS(`#readme a`), "href")).Value
	items := count(t, ctx, "#readme ul li")
	if heading != "AddHeader" || !strings.Contains(code, `"x-wasm-filter"`) || href != "https://www.assemblyscript.org/" || items != 2 {
		t.Errorf("README: heading %q, code %q, link %q, %d list items", heading, code, href, items)
	}
	title := run(t, ctx, chromedp.Title())
	if n := count(t, ctx, "#readme script"); n != 0 || !strings.HasPrefix(title, "filters/addheader:latest") ||
		!strings.Contains(text(t, ctx, "#readme"), "<script>") {
		t.Errorf("README HTML was not shown as text: %d scripts, title %q", n, title)
	}
	if pull := text(t, ctx, "#cmd-pull"); pull != "wasmesh pull "+host+"/filters/addheader:latest" {
		t.Errorf("pull command %q", pull)
	}
	if deploy := text(t, ctx, "#cmd-deploy"); !strings.HasPrefix(deploy, "wasmesh deploy istio oci://"+host+"/filters/addheader@sha256:") {
		t.Errorf("deploy command %q", deploy)
	}
	screenshot(t, ctx, "module")

	// Another tag through the selector, then a compat module by URL.
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS(`#tag-select`), "v1"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#tag-select').dispatchEvent(new Event('change'))`),
		waitFor(`location.hash.endsWith(':v1') && document.querySelector('#cmd-pull').textContent.endsWith(':v1')`),
		chromedp.Navigate("http://"+host+"/#/m/team/counter"),
		waitFor(`document.querySelector('#module-name').textContent === 'team/counter' && document.querySelector('#readme p') !== null`),
	)
	desc, counterABI := text(t, ctx, "#readme p"), text(t, ctx, "#abi")
	rows := count(t, ctx, "#tags-table tbody tr")
	screenshot(t, ctx, "compat")
	if desc != "Counts requests per route in shared data." || counterABI != "v0.2.0, v0.2.1" || rows != 1 {
		t.Errorf("compat module: README %q, ABI %q, %d tag rows", desc, counterABI, rows)
	}

	// Typing on a module page goes back to the filtered list.
	do(t, ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#q').value = ''`),
		chromedp.SendKeys(chromedp.CSS(`#q`), "legacy"),
		waitFor(`!document.querySelector('#list-view').hidden && document.querySelectorAll('#modules li.module').length === 1 &&
			document.querySelector('#modules li.module').dataset.name === 'legacy/cfilter' && location.hash === '#/?q=legacy'`),
	)
	if e := errs(); len(e) > 0 {
		t.Errorf("page errors:\n%s", strings.Join(e, "\n"))
	}
}
