package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what report uses from wrk --latency output.
type wrkResult struct {
	rps      float64
	requests float64
	p50, p99 float64 // microseconds
	errors   int     // non-2xx/3xx responses and socket errors
}

var (
	reRPS      = regexp.MustCompile(`(?m)^Requests/sec:\s+([\d.]+)`)
	reRequests = regexp.MustCompile(`(?m)^\s*(\d+) requests in `)
	reLatency  = regexp.MustCompile(`(?m)^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$`)
	reNon2xx   = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses: (\d+)`)
	reSocket   = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	m := reRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec line")
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	if m = reRequests.FindStringSubmatch(out); m == nil {
		return r, fmt.Errorf("no request count")
	}
	r.requests, _ = strconv.ParseFloat(m[1], 64)
	found := 0
	for _, m := range reLatency.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		switch m[3] {
		case "ms":
			v *= 1e3
		case "s":
			v *= 1e6
		}
		if m[1] == "50" {
			r.p50 = v
		} else {
			r.p99 = v
		}
		found++
	}
	if found != 2 {
		return r, fmt.Errorf("no latency distribution (run wrk with --latency)")
	}
	if m = reNon2xx.FindStringSubmatch(out); m != nil {
		n, _ := strconv.Atoi(m[1])
		r.errors += n
	}
	if m = reSocket.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.errors += n
		}
	}
	return r, nil
}

// readEnv reads KEY=VALUE lines.
func readEnv(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			env[k] = v
		}
	}
	return env, nil
}

// trace is one stack of a CPU profile (leaf first) and its time.
type trace struct {
	d      time.Duration
	frames []string
}

// parseTraces reads `go tool pprof -traces` output.
func parseTraces(path string) ([]trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ts []trace
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	inTrace := false
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "-----------+") {
			inTrace = true
			ts = append(ts, trace{})
			continue
		}
		if !inTrace || strings.TrimSpace(l) == "" {
			continue
		}
		t := &ts[len(ts)-1]
		fields := strings.Fields(l)
		if len(t.frames) == 0 && len(fields) >= 2 {
			if d, err := time.ParseDuration(fields[0]); err == nil {
				t.d = d
				t.frames = append(t.frames, fields[1])
				continue
			}
		}
		if len(fields) >= 1 && !strings.HasSuffix(fields[0], ":") {
			t.frames = append(t.frames, fields[0])
		}
	}
	out := ts[:0]
	for _, t := range ts {
		if t.d > 0 && len(t.frames) > 0 {
			out = append(out, t)
		}
	}
	return out, sc.Err()
}
