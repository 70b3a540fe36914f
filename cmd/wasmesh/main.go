// Command wasmesh: WebAssembly extensions for service-mesh proxies.
package main

import (
	"os"

	"github.com/wasmesh/wasmesh/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
