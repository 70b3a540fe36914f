package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

const wrkOut = `Running 3s test @ http://127.0.0.1:18100/
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.78ms    2.37ms  16.40ms   85.91%
    Req/Sec    30.26k     5.45k   51.67k    83.33%
  Latency Distribution
     50%  546.00us
     75%    2.40ms
     90%    4.78ms
     99%   11.22ms
  90444 requests in 3.01s, 12.85MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  30094.48
Transfer/sec:      4.28MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkOut)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkResult{rps: 30094.48, requests: 90444, p50: 546, p99: 11220, errors: 7}
	if r != want {
		t.Errorf("got %+v, want %+v", r, want)
	}
	if _, err := parseWrk("Requests/sec: 1\n  1 requests in 1s\n"); err == nil {
		t.Error("output without --latency: want an error")
	}
}

func TestParseTracesAndKinds(t *testing.T) {
	p := filepath.Join(t.TempDir(), "traces.txt")
	os.WriteFile(p, []byte(`File: nativeproxy
Type: cpu
Duration: 3.06s, Total samples = 2.36s (77.03%)
-----------+-------------------------------------------------------
     310ms   internal/runtime/syscall/linux.Syscall6
             syscall.RawSyscall6
             net/http.persistConnWriter.Write
             bufio.(*Writer).Flush
             net/http.(*persistConn).writeLoop
-----------+-------------------------------------------------------
      10ms   runtime.memclrNoHeapPointers
             runtime.mallocgc
             github.com/wasmesh/wasmesh/proxy.(*exchange).route
             net/http.(*conn).serve
-----------+-------------------------------------------------------
`), 0o644)
	ts, err := parseTraces(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].d != 310*time.Millisecond || len(ts[0].frames) != 5 || ts[1].frames[3] != "net/http.(*conn).serve" {
		t.Fatalf("traces %+v", ts)
	}
	if k := kindOf(ts[0].frames); k != "syscalls (socket read/write: kernel time)" {
		t.Errorf("kind %q", k)
	}
	if k := kindOf(ts[1].frames); k != "allocation (mallocgc)" {
		t.Errorf("kind %q", k)
	}
	if g := goroutineOf(ts[0].frames); g != "upstream connection writer (net/http.(*persistConn).writeLoop)" {
		t.Errorf("goroutine %q", g)
	}
}

func TestNiceStep(t *testing.T) {
	for in, want := range map[float64]float64{0.3: 0.5, 14000: 20000, 9: 10, 1: 1} {
		if got := niceStep(in); got != want {
			t.Errorf("niceStep(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestParseSplit(t *testing.T) {
	const perf = `
            52  kdamond.0        [kernel.kallsyms]
             7  memfd:sealed-91  memfd:sealed-91173221a7ea (deleted)
          1227  wasmesh          [JIT] tid 27325
          9292  wasmesh          [kernel.kallsyms]
           219  wasmesh          [vdso]
          3387  wasmesh          wasmesh
            10  wasmesh          libc.so.6
           933  swapper          [kernel.kallsyms]
`
	got := parseSplit(perf)
	want := cpuSplit{kernel: 9292, user: 3397, jit: 1227, vdso: 219, idle: 933, other: 59}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
