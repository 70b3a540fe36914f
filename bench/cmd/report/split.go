package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// cpuSplit is where one case's proxy CPU went, from perf samples of the
// proxy's CPU sorted by process and code object (split-CASE.txt).
type cpuSplit struct {
	kernel, user, jit, vdso float64 // samples of the proxy process, by code object
	idle, other             float64 // samples of the idle task and of other processes
}

// parseSplit reads `perf report --sort comm,dso -F sample,comm,dso` lines:
// "<samples> <comm> <dso>". The proxy is the process with the most samples;
// its samples go by code object: the kernel, JIT code ("[JIT] tid N": the
// Wasm guest compiled by wazero), the vDSO (clock reads), anything else (its
// binary and libraries).
func parseSplit(text string) cpuSplit {
	type line struct {
		n         float64
		comm, dso string
	}
	var lines []line
	byComm := map[string]float64{}
	for _, l := range strings.Split(text, "\n") {
		fs := strings.Fields(l)
		if len(fs) < 3 {
			continue
		}
		n, err := strconv.ParseFloat(fs[0], 64)
		if err != nil {
			continue
		}
		// A comm may contain spaces ("kworker/0:1H-kb"); the dso is the
		// last field, except "[JIT] tid N".
		dso := fs[len(fs)-1]
		comm := strings.Join(fs[1:len(fs)-1], " ")
		if i := strings.Index(l, "[JIT]"); i >= 0 {
			dso = "[JIT]"
			comm = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l[:i]), fs[0]))
		}
		lines = append(lines, line{n, comm, dso})
		if comm != "swapper" {
			byComm[comm] += n
		}
	}
	proxy, most := "", 0.0
	for c, n := range byComm {
		if n > most || n == most && c < proxy {
			proxy, most = c, n
		}
	}
	var s cpuSplit
	for _, l := range lines {
		switch {
		case l.comm == "swapper":
			s.idle += l.n
		case l.comm != proxy:
			s.other += l.n
		case l.dso == "[kernel.kallsyms]":
			s.kernel += l.n
		case l.dso == "[JIT]":
			s.jit += l.n
		case l.dso == "[vdso]":
			s.vdso += l.n
		default:
			s.user += l.n
		}
	}
	return s
}

// splitSection reports, per case, the proxy CPU's µs per request by code
// object and the wake-up interrupts the load CPU took per request.
func splitSection(md *strings.Builder, dir string, meta map[string]string) error {
	files, err := filepath.Glob(filepath.Join(dir, "split-*.txt"))
	if err != nil || len(files) == 0 {
		return err
	}
	secs, _ := strconv.ParseFloat(meta["split_seconds"], 64)
	hz, _ := strconv.ParseFloat(meta["split_hz"], 64)
	if secs <= 0 || hz <= 0 {
		return nil
	}
	type row struct {
		name      string
		rps, ipis float64
		s         cpuSplit
	}
	var rows []row
	for _, f := range files {
		base := strings.TrimSuffix(f, ".txt")
		name := strings.TrimPrefix(filepath.Base(base), "split-")
		txt, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		wrk, err := os.ReadFile(base + ".wrk")
		if err != nil {
			return err
		}
		env, err := readEnv(base + ".env")
		if err != nil {
			return err
		}
		m := reRPS.FindStringSubmatch(string(wrk))
		if m == nil {
			continue
		}
		r := row{name: name, s: parseSplit(string(txt))}
		r.rps, _ = strconv.ParseFloat(m[1], 64)
		r.ipis, _ = strconv.ParseFloat(env["ipis"], 64)
		rows = append(rows, r)
	}
	order := map[string]int{}
	for i, c := range strings.Fields(meta["cases"]) {
		order[c] = i
	}
	sort.Slice(rows, func(i, j int) bool { return order[rows[i].name] < order[rows[j].name] })
	w := func(f string, a ...any) { fmt.Fprintf(md, f, a...) }
	w("## Where the proxy's CPU goes\n\n")
	w("`perf record -e cpu-clock -F %.0f -C <proxy CPU>` for %.0f s in the middle of a wrk c=32 run, `perf report --sort comm,dso`; "+
		"samples ÷ %.0f Hz ÷ requests in that time (req/s × %.0f s). *Kernel* is the proxy's system time (TCP on loopback, including waking "+
		"wrk and the upstream on the other CPU); *proxy code* its binary and libraries; *Wasm guest* the JIT code wazero compiled from the filter; "+
		"*clock* the vDSO's clock_gettime. *IPIs* are the rescheduling and function-call interrupts the load CPU received per request: "+
		"a wake-up of a task on an idle CPU costs the waker an interrupt, so a slower proxy, whose peers idle more, pays more kernel time per request.\n\n",
		hz, secs, hz, secs)
	w("| case | req/s | kernel µs | proxy code µs | Wasm guest µs | clock µs | total µs | idle %% | IPIs/req |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range rows {
		us := func(n float64) float64 { return n / hz / (r.rps * secs) * 1e6 }
		all := r.s.kernel + r.s.user + r.s.jit + r.s.vdso + r.s.idle + r.s.other
		jit := "–"
		if r.s.jit > 0 {
			jit = fmt.Sprintf("%.1f", us(r.s.jit))
		}
		w("| %s | %.0f | %.1f | %.1f | %s | %.2f | %.1f | %.0f | %.3f |\n", caseInfos[r.name].label, r.rps,
			us(r.s.kernel), us(r.s.user), jit, us(r.s.vdso), us(r.s.kernel+r.s.user+r.s.jit+r.s.vdso),
			100*r.s.idle/all, r.ipis/(r.rps*secs))
	}
	w("\n")
	return nil
}
