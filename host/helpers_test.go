package host

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordLogger keeps every log line, for assertions.
type recordLogger struct {
	mu    sync.Mutex
	lines []string
	level LogLevel
}

func (l *recordLogger) Level() LogLevel { return l.level }

func (l *recordLogger) Log(level LogLevel, msg string) {
	l.mu.Lock()
	l.lines = append(l.lines, level.String()+" "+msg)
	l.mu.Unlock()
}

// Lines returns the logged lines that contain sub, with the level prefix.
func (l *recordLogger) grep(sub string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			out = append(out, s)
		}
	}
	return out
}

func (l *recordLogger) reset() {
	l.mu.Lock()
	l.lines = nil
	l.mu.Unlock()
}

// waitFor polls until cond holds or the test's bounded wait ends.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func newTestRuntime(t testing.TB, cfg Config) (*Runtime, *recordLogger) {
	t.Helper()
	l := &recordLogger{level: LogTrace}
	if cfg.Logger == nil {
		cfg.Logger = l
	}
	rt, err := NewRuntime(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt, l
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func compileFixture(t testing.TB, rt *Runtime, path string) *Module {
	t.Helper()
	m, err := rt.Compile(context.Background(), readFixture(t, path))
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	return m
}

// testHandler records what the host asked the embedder to do.
type testHandler struct {
	mu       sync.Mutex
	events   []string
	local    *LocalResponse
	trailers [2]*Headers
}

func (h *testHandler) add(e string) {
	h.mu.Lock()
	h.events = append(h.events, e)
	h.mu.Unlock()
}

func (h *testHandler) ContinueRequest()  { h.add("continue_request") }
func (h *testHandler) ContinueResponse() { h.add("continue_response") }
func (h *testHandler) SendLocalResponse(lr *LocalResponse) {
	h.mu.Lock()
	h.local = lr
	h.mu.Unlock()
	h.add("local_response")
}
func (h *testHandler) CloseStream(t StreamType) { h.add("close_stream") }
func (h *testHandler) ClearRouteCache()         { h.add("clear_route_cache") }
func (h *testHandler) AddTrailers(d StreamType) *Headers {
	h.trailers[d] = &Headers{}
	h.add("add_trailers")
	return h.trailers[d]
}

func (h *testHandler) Events() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.events...)
}
