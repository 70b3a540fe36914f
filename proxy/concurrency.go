package proxy

import "runtime"

func defaultConcurrency() int { return runtime.NumCPU() }
