package host

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"time"

	"github.com/tetratelabs/wazero/api"
)

// WASI preview1, as the reference host provides it (doc §5.1): under both
// wasi_snapshot_preview1 and wasi_unstable; stdout and stderr go to the
// log; a real clock and randomness; environment variables from VMConfig;
// no files, sockets or arguments; poll_oneoff never sleeps; proc_exit never
// ends the process.

// WASI errno values.
const (
	errnoSuccess = 0
	errnoBadf    = 8
	errnoFault   = 21
	errnoInval   = 28
	errnoNoent   = 44
	errnoNosys   = 52
	errnoNotsup  = 58
	errnoNotdir  = 20
)

var startTime = time.Now()

func errno(stack []uint64, e uint32) { stack[0] = uint64(e) }

func isStdio(fd uint32) bool { return fd == 1 || fd == 2 }

// fd_write(fd, iovs, iovs_len, out_nwritten) -> errno
//
// fd 1 logs at INFO, fd 2 at ERROR, one log line per call with one
// trailing newline removed. Other fds: BADF. Bad iovecs: FAULT.
func wasiFdWrite(ctx context.Context, m api.Module, stack []uint64) {
	fd, iovs, n, out := uint32(stack[0]), uint32(stack[1]), uint32(stack[2]), uint32(stack[3])
	if !isStdio(fd) {
		errno(stack, errnoBadf)
		return
	}
	vm := vmFrom(ctx)
	buf := vm.scratch[:0]
	total := uint32(0)
	for i := uint32(0); i < n; i++ {
		iov, ok := read(m, iovs+8*i, 8)
		if !ok {
			errno(stack, errnoFault)
			return
		}
		p, l := binary.LittleEndian.Uint32(iov), binary.LittleEndian.Uint32(iov[4:])
		data, ok := read(m, p, l)
		if !ok {
			errno(stack, errnoFault)
			return
		}
		buf = append(buf, data...)
		total += l
	}
	vm.scratch = buf
	if !writeU32(m, out, total) {
		errno(stack, errnoFault)
		return
	}
	if len(buf) > 0 && buf[len(buf)-1] == '\n' {
		buf = buf[:len(buf)-1]
	}
	level := LogInfo
	if fd == 2 {
		level = LogError
	}
	vm.guestLog(level, buf)
	errno(stack, errnoSuccess)
}

// fd_pwrite(fd, iovs, iovs_len, offset i64, out_nwritten) -> errno: as fd_write.
func wasiFdPwrite(ctx context.Context, m api.Module, stack []uint64) {
	stack[3] = stack[4]
	wasiFdWrite(ctx, m, stack)
}

// fd_fdstat_get(fd, out) -> errno: stdio gets a 24-byte fdstat with
// FD_WRITE rights; others BADF.
func wasiFdFdstatGet(_ context.Context, m api.Module, stack []uint64) {
	fd, out := uint32(stack[0]), uint32(stack[1])
	if !isStdio(fd) {
		errno(stack, errnoBadf)
		return
	}
	var st [24]byte
	binary.LittleEndian.PutUint64(st[8:], 64) // fs_rights_base = FD_WRITE
	if !m.Memory().Write(out, st[:]) {
		errno(stack, errnoFault)
		return
	}
	errno(stack, errnoSuccess)
}

// stdioOK: SUCCESS for fd 1 and 2, BADF otherwise (fd_fdstat_set_rights,
// fd_filestat_set_size, fd_filestat_set_times, fd_allocate, fd_datasync,
// fd_sync).
func wasiStdioOK(_ context.Context, _ api.Module, stack []uint64) {
	if isStdio(uint32(stack[0])) {
		errno(stack, errnoSuccess)
	} else {
		errno(stack, errnoBadf)
	}
}

// fd_tell(fd, out) -> errno: stdio writes 0.
func wasiFdTell(_ context.Context, m api.Module, stack []uint64) {
	if !isStdio(uint32(stack[0])) {
		errno(stack, errnoBadf)
		return
	}
	if !writeU64(m, uint32(stack[1]), 0) {
		errno(stack, errnoFault)
		return
	}
	errno(stack, errnoSuccess)
}

// fd_seek(fd, offset i64, whence, out) and fd_close(fd): log and return
// SUCCESS, as the reference host.
func wasiLoggedSuccess(name string) api.GoModuleFunc {
	return func(ctx context.Context, _ api.Module, stack []uint64) {
		vmFrom(ctx).rt.logger.Log(LogDebug, "wasi "+name+" is not supported: ignored")
		errno(stack, errnoSuccess)
	}
}

// fd_renumber(a, b) -> errno: NOTSUP for stdio pairs, BADF otherwise.
func wasiFdRenumber(_ context.Context, _ api.Module, stack []uint64) {
	if isStdio(uint32(stack[0])) && isStdio(uint32(stack[1])) {
		errno(stack, errnoNotsup)
	} else {
		errno(stack, errnoBadf)
	}
}

// returns a function that writes zero to the out parameter at index outArg
// (if any) and returns e.
func wasiConst(e uint32, outArg int) api.GoModuleFunc {
	return func(_ context.Context, m api.Module, stack []uint64) {
		if outArg >= 0 {
			writeU32(m, uint32(stack[outArg]), 0)
		}
		errno(stack, e)
	}
}

// sock_recv writes two zero out-parameters.
func wasiSockRecv(_ context.Context, m api.Module, stack []uint64) {
	writeU32(m, uint32(stack[4]), 0)
	writeU32(m, uint32(stack[5]), 0)
	errno(stack, errnoNotsup)
}

// environ_sizes_get(out_count, out_buf_size) -> errno
func wasiEnvironSizesGet(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	size := 0
	for _, kv := range vm.env {
		size += len(kv) + 1
	}
	if !writeU32(m, uint32(stack[0]), uint32(len(vm.env))) || !writeU32(m, uint32(stack[1]), uint32(size)) {
		errno(stack, errnoFault)
		return
	}
	errno(stack, errnoSuccess)
}

// environ_get(out_ptrs, out_buf) -> errno: "KEY=VALUE\0" strings and the
// pointer array.
func wasiEnvironGet(ctx context.Context, m api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	ptrs, buf := uint32(stack[0]), uint32(stack[1])
	for i, kv := range vm.env {
		if !writeU32(m, ptrs+4*uint32(i), buf) || !m.Memory().WriteString(buf, kv) || !m.Memory().WriteByte(buf+uint32(len(kv)), 0) {
			errno(stack, errnoFault)
			return
		}
		buf += uint32(len(kv)) + 1
	}
	errno(stack, errnoSuccess)
}

// args_sizes_get(out_argc, out_buf_size) -> errno: 0 and 0.
func wasiArgsSizesGet(_ context.Context, m api.Module, stack []uint64) {
	if !writeU32(m, uint32(stack[0]), 0) || !writeU32(m, uint32(stack[1]), 0) {
		errno(stack, errnoFault)
		return
	}
	errno(stack, errnoSuccess)
}

// clock_time_get(id, precision i64, out u64) -> errno: 0 realtime, 1
// monotonic, in ns; other clocks NOTSUP.
func wasiClockTimeGet(_ context.Context, m api.Module, stack []uint64) {
	var t uint64
	switch uint32(stack[0]) {
	case 0:
		t = uint64(time.Now().UnixNano())
	case 1:
		t = uint64(time.Since(startTime).Nanoseconds()) + 1
	default:
		errno(stack, errnoNotsup)
		return
	}
	if !writeU64(m, uint32(stack[2]), t) {
		errno(stack, errnoFault)
		return
	}
	errno(stack, errnoSuccess)
}

// clock_res_get(id, out u64) -> errno: 1 ns for clocks 0 and 1.
func wasiClockResGet(_ context.Context, m api.Module, stack []uint64) {
	if id := uint32(stack[0]); id > 1 {
		errno(stack, errnoNotsup)
		return
	}
	if !writeU64(m, uint32(stack[1]), 1) {
		errno(stack, errnoFault)
		return
	}
	errno(stack, errnoSuccess)
}

// random_get(buf, len) -> errno: cryptographic random bytes; INVAL above
// 64 KiB.
func wasiRandomGet(_ context.Context, m api.Module, stack []uint64) {
	p, n := uint32(stack[0]), uint32(stack[1])
	if n > 65536 {
		errno(stack, errnoInval)
		return
	}
	b, ok := read(m, p, n)
	if !ok {
		errno(stack, errnoFault)
		return
	}
	_, _ = rand.Read(b)
	errno(stack, errnoSuccess)
}

// poll_oneoff(in, out, nsubscriptions, out_nevents) -> errno: writes 0
// events and returns SUCCESS at once. The Go runtime aborts if this fails,
// and a proxy callback must never sleep.
func wasiPollOneoff(_ context.Context, m api.Module, stack []uint64) {
	if !writeU32(m, uint32(stack[3]), 0) {
		errno(stack, errnoFault)
		return
	}
	errno(stack, errnoSuccess)
}

// proc_exit(code)
//
// Never ends the process. proc_exit(0) during start-up (a WASI command
// whose main returned) ends start-up successfully; any other exit fails
// the VM. Either way the guest call unwinds.
func wasiProcExit(ctx context.Context, _ api.Module, stack []uint64) {
	vm := vmFrom(ctx)
	code := uint32(stack[0])
	if vm.starting && code == 0 {
		panic(errProcExitOK)
	}
	vm.rt.logger.Log(LogError, "wasi proc_exit called with code "+itoa(code))
	panic(&procExitError{code: code})
}

func itoa(v uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return string(b[i:])
}
