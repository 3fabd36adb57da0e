// Command hv manages a Hyper-NixOS virtualisation host: a terminal UI when
// run without a subcommand, and a scriptable CLI with the same verbs.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:]))
}
