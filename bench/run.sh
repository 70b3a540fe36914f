#!/usr/bin/env bash
# bench/run.sh: wasmesh against nginx with wrk, on a 2-core machine.
#
# The proxy under test runs alone on PROXY_CPU; wrk and the upstream (nginx
# answering "ok", or a 16 KB file on /16k) share LOAD_CPU. Every case is
# started fresh, warmed up, measured at each connection count, and stopped;
# the cases are interleaved (rotated) across REPS repetitions. For every
# wrk run it keeps wrk's output and the CPU the proxy process(es) used (from
# /proc/<pid>/stat), the busy time of both CPUs (/proc/stat) and the load
# average. Then it measures startup and memory (bench/cmd/startup), takes a
# CPU profile of the no-filter request path (bench/cmd/nativeproxy with
# -cpuprofile), counts system calls per request and splits each case's CPU
# by code object (kernel, proxy, Wasm JIT code) with perf (if it can), and
# bench/cmd/report writes docs/benchmarks.md and docs/benchmarks.png from all
# of it.
#
# Run from the repository root: `make bench` or `bash bench/run.sh`.
# `make bench-quick` runs the same script with QUICK=1 (see below).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/bench

# ---- knobs (environment) ----------------------------------------------------
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	# < 2 minutes: one repetition, 5 s, c=32, three cases, table on stdout.
	: "${REPS:=1}" "${DURATION:=5}" "${WARMUP:=1}" "${CONNS:=32}"
	: "${CASES:=nginx wasmesh go-wasm}" "${STARTUP:=0}" "${PROFILE:=0}" "${QUIET_WAIT:=0}"
	: "${OUT:=$BENCH/results/quick}" "${DOC:=}" "${PNG:=}"
fi
REPS=${REPS:-3}            # interleaved repetitions of every (case, c)
DURATION=${DURATION:-10}   # seconds per measured wrk run
WARMUP=${WARMUP:-2}        # seconds of unmeasured wrk load after each start
CONNS=${CONNS:-"32 64"}    # wrk connection counts
CASES=${CASES:-"direct nginx njs wasmesh native go-wasm as-wasm c-wasm chain3 wasmesh16k rewrite16k nginx16k"}
STARTUP=${STARTUP:-1}      # measure startup time and RSS
PROFILE=${PROFILE:-1}      # CPU profile of the no-filter case
PROFILE_SECONDS=${PROFILE_SECONDS:-10}
SYSCALL_CASES=${SYSCALL_CASES:-"nginx wasmesh go-wasm"} # system calls per request (with PROFILE=1)
SPLIT_CASES=${SPLIT_CASES:-"nginx njs wasmesh native go-wasm as-wasm c-wasm"} # CPU by code object (with PROFILE=1)
SPLIT_HZ=${SPLIT_HZ:-2999}
QUIET_WAIT=${QUIET_WAIT:-180}     # seconds to wait for other work to stop before measuring
NOISE_MAX=${NOISE_MAX:-10}        # % of a CPU used by other work above which a run is repeated
NOISE_RETRIES=${NOISE_RETRIES:-2} # repeats of one run at most
RETRY_BUDGET=${RETRY_BUDGET:-240} # seconds of repeated runs at most, in all
MICRO=${MICRO:-}                  # go test -bench output to include in the report
PROXY_CPU=${PROXY_CPU:-0}  # the proxy under test
LOAD_CPU=${LOAD_CPU:-1}    # wrk and the upstream
WRK_THREADS=${WRK_THREADS:-1}
UPSTREAM_PORT=${UPSTREAM_PORT:-18080}
PROXY_PORT=${PROXY_PORT:-18100}
OUT=${OUT:-$BENCH/results/full}
DOC=${DOC-$ROOT/docs/benchmarks.md}   # empty: do not write the doc
PNG=${PNG-$ROOT/docs/benchmarks.png}
GO=${GO:-go}

log() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- processes: every one we start is recorded and killed on exit -----------
STARTED=()
cleanup() {
	local pid
	for pid in "${STARTED[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${STARTED[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_on CPU LOGFILE CMD...: start CMD pinned to CPU in the background;
# sets LAST_PID (taskset execs CMD, so it is CMD's pid).
start_on() {
	local cpu=$1 logfile=$2
	shift 2
	taskset -c "$cpu" "$@" >"$logfile" 2>&1 &
	LAST_PID=$!
	STARTED+=("$LAST_PID")
}

# stop PID: SIGTERM, wait up to 10 s, then SIGKILL.
stop() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# wait_http URL: until URL answers 2xx (30 s at most; 120 s with a cold cache).
wait_http() {
	local url=$1 deadline=$((SECONDS + ${2:-30}))
	until curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.05
	done
}

# tree PID: PID and its children (nginx: master and worker).
tree() { echo "$1" $(pgrep -P "$1" || true); }

# cpu_ticks PID...: utime+stime of the processes, in clock ticks.
cpu_ticks() {
	local pid t=0 s
	for pid in "$@"; do
		# Fields after the ")" that ends the command name: utime is the 12th, stime the 13th.
		s=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
		t=$((t + $(echo "$s" | awk '{print $12 + $13}')))
	done
	echo "$t"
}

# cpu_stat N: "busy total" ticks of CPU N from /proc/stat.
cpu_stat() {
	awk -v c="cpu$1" '$1 == c { busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6 }' /proc/stat
}

# ---- tools --------------------------------------------------------------------
need_apt=()
command -v nginx >/dev/null || need_apt+=(nginx)
[ -e /usr/lib/nginx/modules/ngx_http_js_module.so ] || need_apt+=(libnginx-mod-http-js)
command -v wrk >/dev/null || need_apt+=(wrk)
command -v curl >/dev/null || need_apt+=(curl)
if [ ${#need_apt[@]} -gt 0 ]; then
	log "installing ${need_apt[*]} with apt"
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
command -v taskset >/dev/null || die "taskset (util-linux) is required"
[ "$(nproc)" -ge 2 ] || log "warning: $(nproc) CPU; the proxy and the load generator will share it"

# ---- build --------------------------------------------------------------------
rm -rf "$OUT"
mkdir -p "$OUT"/{bin,wasm,conf,runs,tmp,www,cache,logs}
BIN=$OUT/bin
log "building wasmesh, the bench tools and the filters into $OUT"
$GO build -o "$BIN/wasmesh" ./cmd/wasmesh
$GO build -o "$BIN/" ./bench/cmd/...
# The Go filters, as `wasmesh build` / internal/wasmbuild build them.
wasm_build() { (cd "$1" && GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 $GO build -buildmode=c-shared -trimpath -o "$2" .); }
wasm_build host/testdata/goaddheader "$OUT/wasm/goaddheader.wasm"
wasm_build examples/go/bodyrewrite "$OUT/wasm/bodyrewrite.wasm"
AS_WASM=$ROOT/examples/assemblyscript/addheader/filter.wasm
C_WASM=$ROOT/examples/c/addheader/filter.wasm # committed, built by its build.sh (clang)

# ---- configs ------------------------------------------------------------------
# render TEMPLATE OUTPUT [FILTERS]: fill in @DIR@, @BENCH@, the ports and
# (envoy.yaml) the http_filters entries.
render() {
	sed -e "s|@DIR@|$OUT|g" -e "s|@BENCH@|$BENCH|g" \
		-e "s|@UPSTREAM_PORT@|$UPSTREAM_PORT|g" -e "s|@PROXY_PORT@|$PROXY_PORT|g" "$1" |
		FILTERS=${3:-} awk '$1 == "@FILTERS@" { if (ENVIRON["FILTERS"] != "") print ENVIRON["FILTERS"]; next } { print }' >"$2"
}
# wasm_filter FILE ROOT_ID CONFIGURATION: one envoy.filters.http.wasm entry.
wasm_filter() {
	cat <<EOF
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                root_id: "$2"
                configuration: { "@type": type.googleapis.com/google.protobuf.StringValue, value: '$3' }
                vm_config: { runtime: envoy.wasm.runtime.v8, code: { local: { filename: "$1" } } }
EOF
}
GO_WASM=$OUT/wasm/goaddheader.wasm
render "$BENCH/conf/upstream.conf" "$OUT/conf/upstream.conf"
render "$BENCH/conf/nginx-proxy.conf" "$OUT/conf/nginx-proxy.conf"
render "$BENCH/conf/nginx-njs.conf" "$OUT/conf/nginx-njs.conf"
render "$BENCH/conf/envoy.yaml" "$OUT/conf/envoy-none.yaml"
render "$BENCH/conf/envoy.yaml" "$OUT/conf/envoy-go.yaml" "$(wasm_filter "$GO_WASM" "" bench)"
render "$BENCH/conf/envoy.yaml" "$OUT/conf/envoy-as.yaml" "$(wasm_filter "$AS_WASM" add_header world)"
render "$BENCH/conf/envoy.yaml" "$OUT/conf/envoy-c.yaml" "$(wasm_filter "$C_WASM" "" bench)"
render "$BENCH/conf/envoy.yaml" "$OUT/conf/envoy-chain3.yaml" "$(wasm_filter "$GO_WASM" "" one)
$(wasm_filter "$GO_WASM" "" two)
$(wasm_filter "$GO_WASM" "" three)"
render "$BENCH/conf/envoy.yaml" "$OUT/conf/envoy-rewrite.yaml" \
	"$(wasm_filter "$OUT/wasm/bodyrewrite.wasm" "" '{"from": "hello", "to": "bye", "request": false, "response": true}')"
# The 16 KB body: 256 lines of 64 bytes, each with one "hello" to rewrite.
for i in $(seq 256); do printf 'hello world, line %04d ........................................\n' "$i"; done >"$OUT/www/16k"
[ "$(stat -c %s "$OUT/www/16k")" -eq 16384 ] || die "16k body is $(stat -c %s "$OUT/www/16k") bytes"

# ---- the cases ----------------------------------------------------------------
WASMESH=("$BIN/wasmesh" envoy --concurrency 1 --cache-dir "$OUT/cache" -l warning --drain-time-s 1)
NGINX=(nginx -e /dev/stderr -g "daemon off;")
# start_case NAME: start the proxy of a case; sets PROXY_PID ("" for direct) and URL.
start_case() {
	local path=/
	case $1 in *16k) path=/16k ;; esac
	URL=http://127.0.0.1:$PROXY_PORT$path
	PROXY_PID=
	case $1 in
	direct) URL=http://127.0.0.1:$UPSTREAM_PORT$path; return ;;
	nginx | nginx16k) start_on "$PROXY_CPU" "$OUT/logs/$1.log" "${NGINX[@]}" -c "$OUT/conf/nginx-proxy.conf" ;;
	njs) start_on "$PROXY_CPU" "$OUT/logs/$1.log" "${NGINX[@]}" -c "$OUT/conf/nginx-njs.conf" ;;
	wasmesh | wasmesh16k) start_on "$PROXY_CPU" "$OUT/logs/$1.log" "${WASMESH[@]}" -c "$OUT/conf/envoy-none.yaml" ;;
	native) start_on "$PROXY_CPU" "$OUT/logs/$1.log" "$BIN/nativeproxy" -c "$OUT/conf/envoy-none.yaml" -filter addheader ;;
	go-wasm) start_on "$PROXY_CPU" "$OUT/logs/$1.log" "${WASMESH[@]}" -c "$OUT/conf/envoy-go.yaml" ;;
	as-wasm) start_on "$PROXY_CPU" "$OUT/logs/$1.log" "${WASMESH[@]}" -c "$OUT/conf/envoy-as.yaml" ;;
	c-wasm) start_on "$PROXY_CPU" "$OUT/logs/$1.log" "${WASMESH[@]}" -c "$OUT/conf/envoy-c.yaml" ;;
	chain3) start_on "$PROXY_CPU" "$OUT/logs/$1.log" "${WASMESH[@]}" -c "$OUT/conf/envoy-chain3.yaml" ;;
	rewrite16k) start_on "$PROXY_CPU" "$OUT/logs/$1.log" "${WASMESH[@]}" -c "$OUT/conf/envoy-rewrite.yaml" ;;
	*) die "unknown case $1" ;;
	esac
	PROXY_PID=$LAST_PID
	wait_http "$URL" 120 || die "$1 did not answer on $URL (log: $OUT/logs/$1.log)"
}

# check_case NAME: one request with curl; the case must do its header (or
# body) work, so that every row measures what its name says.
check_case() {
	local h b
	h=$(curl -fsS -D - -o "$OUT/tmp/body" "$URL" | tr -d '\r' | tr 'A-Z' 'a-z')
	b=$(cat "$OUT/tmp/body")
	case $1 in
	njs | native | go-wasm)
		grep -qx 'x-wasm: bench' <<<"$h" || die "$1: no x-wasm response header"
		grep -qx 'x-upstream-saw: bench' <<<"$h" || die "$1: the upstream did not see x-wasm" ;;
	as-wasm) grep -qx 'hello: world' <<<"$h" || die "$1: no hello response header" ;;
	c-wasm) grep -qx 'x-c-filter: bench' <<<"$h" || die "$1: no x-c-filter response header" ;;
	chain3) [ "$(grep -c '^x-wasm: ' <<<"$h")" -eq 3 ] || die "$1: want three x-wasm response headers" ;;
	rewrite16k) [[ $b == *bye* && $b != *hello* ]] || die "$1: the body was not rewritten" ;;
	*16k) [ ${#b} -ge 16000 ] || die "$1: short body" ;;
	*) [ "$b" = ok ] || die "$1: body '$b'" ;;
	esac
}

# measure NAME C REP: one wrk run at C connections, with the CPU accounting:
# the proxy's and the upstream's CPU (/proc/PID/stat), wrk's (bash `time`),
# and the busy time of both CPUs (/proc/stat). Busy time not explained by
# them is interference from other work on the machine: a run with more than
# NOISE_MAX % of a CPU of it is discarded (kept in runs/discarded) and
# repeated, at most NOISE_RETRIES times.
measure() {
	local name=$1 c=$2 rep=$3 attempt noise base=$OUT/runs/r$3-$1-c$2
	for attempt in $(seq 0 "$NOISE_RETRIES"); do
		measure_once "$@"
		noise=$(awk -F= '$1 == "noise_pct" {print $2}' "$base.env")
		log "$(printf '%-11s c=%-3s rep %s: %9s req/s  (other work: %s%% of a CPU)' "$name" "$c" "$rep" \
			"$(awk '/Requests\/sec/ {print $2}' "$base.wrk")" "$noise")"
		awk -v n="$noise" -v m="$NOISE_MAX" 'BEGIN { exit !(n <= m) }' && return 0
		[ "$attempt" -lt "$NOISE_RETRIES" ] || { log "keeping it: $NOISE_RETRIES retries done"; return 0; }
		[ "$RETRY_BUDGET" -ge "$DURATION" ] || { log "keeping it: retry budget spent"; return 0; }
		RETRY_BUDGET=$((RETRY_BUDGET - DURATION))
		mkdir -p "$OUT/runs/discarded"
		for f in "$base".*; do mv "$f" "$OUT/runs/discarded/$(basename "$f").$attempt"; done
	done
}

measure_once() {
	local name=$1 c=$2 rep=$3 base=$OUT/runs/r$3-$1-c$2 pids=() up t0 t1 u0 u1 p0 l0 p1 l1 w0 w1 clk wrk_s
	[ -n "$PROXY_PID" ] && read -ra pids <<<"$(tree "$PROXY_PID")"
	read -ra up <<<"$(tree "$UPSTREAM_PID")"
	clk=$(getconf CLK_TCK)
	t0=$(cpu_ticks "${pids[@]}"); u0=$(cpu_ticks "${up[@]}")
	p0=$(cpu_stat "$PROXY_CPU"); l0=$(cpu_stat "$LOAD_CPU"); w0=$(date +%s.%N)
	{ TIMEFORMAT='%U %S'; time taskset -c "$LOAD_CPU" wrk -t"$WRK_THREADS" -c"$c" -d"${DURATION}s" --timeout 5s --latency "$URL" >"$base.wrk"; } 2>"$base.time"
	w1=$(date +%s.%N); p1=$(cpu_stat "$PROXY_CPU"); l1=$(cpu_stat "$LOAD_CPU")
	t1=$(cpu_ticks "${pids[@]}"); u1=$(cpu_ticks "${up[@]}")
	wrk_s=$(awk '{print $1 + $2}' "$base.time")
	cat >"$base.env" <<EOF
case=$name
conns=$c
rep=$rep
wall_s=$(echo "$w0 $w1" | awk '{printf "%.3f", $2 - $1}')
clk_tck=$clk
proxy_ticks=$([ ${#pids[@]} -gt 0 ] && echo $((t1 - t0)) || echo -1)
upstream_ticks=$((u1 - u0))
wrk_ticks=$(awk -v s="$wrk_s" -v k="$clk" 'BEGIN {printf "%.0f", s * k}')
proxy_cpu=$(echo "$p0 $p1" | awk '{print $3 - $1, $4 - $2}')
load_cpu=$(echo "$l0 $l1" | awk '{print $3 - $1, $4 - $2}')
loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
EOF
	# Interference: busy ticks on either CPU not used by the proxy, the
	# upstream or wrk, in % of one CPU (the larger of the two).
	awk -F= '{v[$1] = $2}
		END {
			split(v["proxy_cpu"], p, " "); split(v["load_cpu"], l, " ")
			own0 = v["proxy_ticks"] > 0 ? v["proxy_ticks"] : 0
			o0 = (p[1] - own0) / p[2]; o1 = (l[1] - v["upstream_ticks"] - v["wrk_ticks"]) / l[2]
			if (o0 < 0) o0 = 0
			if (o1 < 0) o1 = 0
			printf "noise_pct=%.1f\n", 100 * (o0 > o1 ? o0 : o1)
		}' "$base.env" >>"$base.env"
}

# wait_quiet: wait (at most QUIET_WAIT seconds) for a 5 s window in which
# the whole machine is less than 10% busy, so that other work does not skew
# the runs; prints what it found as a meta.env line.
wait_quiet() {
	local deadline=$((SECONDS + QUIET_WAIT)) a b busy
	while :; do
		a=$(awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
		sleep 5
		b=$(awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
		busy=$(echo "$a $b" | awk '{printf "%.0f", 100 * ($3 - $1) / ($4 - $2)}')
		if [ "$busy" -lt 10 ]; then
			echo "quiet=the machine was ${busy}% busy just before the runs"
			return
		fi
		if [ $SECONDS -ge $deadline ]; then
			log "warning: the machine is still ${busy}% busy after ${QUIET_WAIT}s; measuring anyway"
			echo "quiet=the machine was ${busy}% busy just before the runs (after waiting ${QUIET_WAIT}s for other work to stop)"
			return
		fi
		log "machine ${busy}% busy (other work); waiting for it to quieten"
	done
}

# ---- metadata -----------------------------------------------------------------
{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "go=$($GO version)"
	echo "nginx=$(nginx -v 2>&1)"
	echo "njs=$(dpkg-query -W -f '${Package} ${Version}' libnginx-mod-http-js 2>/dev/null || echo unknown)"
	echo "wrk=$(wrk --version 2>&1 | head -1 || true)"
	echo "kernel=$(uname -sr)"
	echo "cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo) ($(nproc) CPUs)"
	echo "wazero=$(awk '$1 == "github.com/tetratelabs/wazero" {print $2}' go.mod)"
	echo "go_wasm_bytes=$(stat -c %s "$GO_WASM")"
	echo "as_wasm_bytes=$(stat -c %s "$AS_WASM")"
	echo "reps=$REPS"
	echo "duration=$DURATION"
	echo "warmup=$WARMUP"
	echo "conns=$CONNS"
	echo "cases=$CASES"
	echo "proxy_cpu=$PROXY_CPU"
	echo "load_cpu=$LOAD_CPU"
	echo "wrk_threads=$WRK_THREADS"
	echo "noise_max=$NOISE_MAX"
	echo "noise_retries=$NOISE_RETRIES"
	echo "retry_budget=$RETRY_BUDGET"
} >"$OUT/meta.env"
log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- upstream -----------------------------------------------------------------
start_on "$LOAD_CPU" "$OUT/logs/upstream.log" "${NGINX[@]}" -c "$OUT/conf/upstream.conf"
UPSTREAM_PID=$LAST_PID
wait_http "http://127.0.0.1:$UPSTREAM_PORT/" || die "upstream nginx did not start (log: $OUT/logs/upstream.log)"

# Fill the compilation cache once, so that no measured start compiles.
start_case chain3 && stop "$PROXY_PID"
start_case rewrite16k && stop "$PROXY_PID"
start_case as-wasm && stop "$PROXY_PID"
start_case c-wasm && stop "$PROXY_PID"

wait_quiet >>"$OUT/meta.env"
echo "loadavg_runs=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.env"

# ---- throughput: REPS x CASES x CONNS ------------------------------------------
read -ra cases <<<"$CASES"
n=${#cases[@]}
for rep in $(seq "$REPS"); do
	for i in $(seq 0 $((n - 1))); do
		name=${cases[$(((i + rep - 1) % n))]} # rotate the order every repetition
		start_case "$name"
		[ "$rep" -gt 1 ] || check_case "$name"
		taskset -c "$LOAD_CPU" wrk -t"$WRK_THREADS" -c32 -d"${WARMUP}s" "$URL" >/dev/null
		for c in $CONNS; do
			measure "$name" "$c" "$rep"
		done
		[ -z "$PROXY_PID" ] || stop "$PROXY_PID"
	done
done

# ---- startup and memory ---------------------------------------------------------
if [ "$STARTUP" = 1 ]; then
	log "startup and memory"
	taskset -c "$LOAD_CPU" "$BIN/startup" -wasmesh "$BIN/wasmesh" -filter "$GO_WASM" \
		-upstream "127.0.0.1:$UPSTREAM_PORT" -port "$PROXY_PORT" -cpu "$PROXY_CPU" \
		-dir "$OUT/startup" >"$OUT/startup.tsv"
fi

# ---- profile of the no-filter case ----------------------------------------------
if [ "$PROFILE" = 1 ]; then
	log "CPU profile of the no-filter request path (${PROFILE_SECONDS}s, c=32)"
	start_on "$PROXY_CPU" "$OUT/logs/profile.log" "$BIN/nativeproxy" -c "$OUT/conf/envoy-none.yaml" \
		-filter none -cpuprofile "$OUT/cpu.prof"
	PROXY_PID=$LAST_PID
	URL=http://127.0.0.1:$PROXY_PORT/
	wait_http "$URL" || die "nativeproxy did not start"
	taskset -c "$LOAD_CPU" wrk -t"$WRK_THREADS" -c32 -d"${PROFILE_SECONDS}s" --latency "$URL" >"$OUT/profile.wrk"
	stop "$PROXY_PID"
	$GO tool pprof -top -nodecount=30 "$BIN/nativeproxy" "$OUT/cpu.prof" >"$OUT/profile-top.txt" 2>/dev/null
	$GO tool pprof -top -cum -nodecount=40 "$BIN/nativeproxy" "$OUT/cpu.prof" >"$OUT/profile-cum.txt" 2>/dev/null
	$GO tool pprof -traces "$BIN/nativeproxy" "$OUT/cpu.prof" >"$OUT/profile-traces.txt" 2>/dev/null
fi

# ---- system calls per request (perf tracepoints, when perf can count them) ------
SYSCALL_EVENTS=raw_syscalls:sys_enter
for s in read write readv writev recvfrom sendto sendfile64 epoll_wait epoll_pwait epoll_ctl futex nanosleep; do
	SYSCALL_EVENTS+=,syscalls:sys_enter_$s
done
if [ "$PROFILE" = 1 ] && command -v perf >/dev/null && perf stat -e raw_syscalls:sys_enter -- true >/dev/null 2>&1; then
	for name in $SYSCALL_CASES; do
		log "system calls per request: $name (perf stat, 5 s of c=32)"
		start_case "$name"
		read -ra pids <<<"$(tree "$PROXY_PID")"
		taskset -c "$LOAD_CPU" wrk -t"$WRK_THREADS" -c32 -d7s --latency "$URL" >"$OUT/syscalls-$name.wrk" &
		wrk_pid=$!
		STARTED+=("$wrk_pid")
		sleep 1
		perf stat -x, -e "$SYSCALL_EVENTS" -p "$(IFS=,; echo "${pids[*]}")" -- sleep 5 2>"$OUT/syscalls-$name.csv" >/dev/null || true
		wait "$wrk_pid" || true
		stop "$PROXY_PID"
	done
	echo "syscall_seconds=5" >>"$OUT/meta.env"
else
	log "perf cannot count system calls here: skipping that section"
fi

# ---- where the proxy's CPU goes: perf samples by code object, per case --------
# perf record samples the proxy's CPU (cpu-clock: no hardware counters are
# needed) for 5 s of a c=32 run; perf report sorts them by process and code
# object: the kernel, the proxy's own code, the Wasm guest's JIT code, the
# vDSO (clock reads), idle. The interrupts the load CPU receives tell how
# often waking wrk or the upstream needed an inter-processor interrupt.
ipis() { awk -v c="$LOAD_CPU" '$1 == "RES:" || $1 == "CAL:" { s += $(c + 2) } END { print s + 0 }' /proc/interrupts; }
if [ "$PROFILE" = 1 ] && command -v perf >/dev/null && perf record -q -e cpu-clock -o /dev/null -- true >/dev/null 2>&1; then
	for name in $SPLIT_CASES; do
		log "CPU by code object: $name (perf record, 5 s of c=32)"
		start_case "$name"
		taskset -c "$LOAD_CPU" wrk -t"$WRK_THREADS" -c32 -d7s --latency "$URL" >"$OUT/split-$name.wrk" &
		wrk_pid=$!
		STARTED+=("$wrk_pid")
		sleep 1
		i0=$(ipis)
		taskset -c "$LOAD_CPU" perf record -q -e cpu-clock -F "$SPLIT_HZ" -C "$PROXY_CPU" -o "$OUT/split-$name.data" -- sleep 5 >/dev/null 2>&1 || true
		i1=$(ipis)
		wait "$wrk_pid" || true
		stop "$PROXY_PID"
		perf report -i "$OUT/split-$name.data" --stdio -g none --sort comm,dso -F sample,comm,dso 2>/dev/null |
			grep -v '^#' | grep -v '^$' >"$OUT/split-$name.txt" || true
		echo "ipis=$((i1 - i0))" >"$OUT/split-$name.env"
		rm -f "$OUT/split-$name.data"
	done
	{ echo "split_seconds=5"; echo "split_hz=$SPLIT_HZ"; } >>"$OUT/meta.env"
else
	log "perf cannot sample here: skipping the CPU-by-code-object section"
fi

echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.env"
log "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- report -------------------------------------------------------------------
"$BIN/report" -dir "$OUT" -md "${DOC:-$OUT/report.md}" -png "$PNG" -micro "$MICRO"
log "done: ${DOC:-$OUT/report.md}"
