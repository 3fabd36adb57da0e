package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/ui/termsafe"
	"github.com/hyper-nixos/hv/vm"
)

// Leaving the console: ctrl+] (virsh's habit) or F10, which needs no
// modifier on any keyboard layout.
var (
	ctrlBracket = []byte{0x1d}
	f10         = []byte("\x1b[21~")
)

func newConsoleCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "console NAME",
		ValidArgsFunction: complete(g, vmNames),
		Short:             "Attach to a VM's serial console (ctrl+] or F10 leaves)",
		Long: "Attach this terminal to the VM's first serial console. Keys go to the guest;\n" +
			"ctrl+] or F10 leaves. What the guest writes is filtered: cursor movement and colours pass,\n" +
			"sequences that could set your terminal's title, clipboard or links do not.",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: oneVM(g, func(ctx context.Context, cmd *cobra.Command, hv vm.Hypervisor, v vm.VM) error {
			con, err := hv.OpenConsole(ctx, v.UUID)
			if err != nil {
				return err
			}
			defer con.Close()
			return attach(cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), v.Name, con)
		}),
	}
}

// attach copies keys to the console and its output back, until the escape
// key or the console's end.
func attach(in io.Reader, out, info io.Writer, name string, con vm.Console) error {
	if f, ok := in.(*os.File); ok && term.IsTerminal(f.Fd()) {
		state, err := term.MakeRaw(f.Fd())
		if err != nil {
			return err
		}
		defer term.Restore(f.Fd(), state)
	}
	fmt.Fprintf(info, "Connected to the serial console of %s. ctrl+] or F10 leaves.\r\n", termsafe.String(name))
	left := make(chan struct{})
	go func() {
		defer close(left)
		buf := make([]byte, 256)
		for {
			n, err := in.Read(buf)
			if n > 0 {
				chunk := buf[:n]
				if i := escapeAt(chunk); i >= 0 {
					con.Write(chunk[:i])
					return
				}
				if _, err := con.Write(chunk); err != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	screen := termsafe.NewFilter(out)
	for {
		select {
		case data := <-con.Output():
			screen.Write(data)
		case <-left:
			fmt.Fprint(info, "\r\nLeft the console.\r\n")
			return nil
		case <-con.Done():
			for {
				select {
				case data := <-con.Output():
					screen.Write(data)
					continue
				default:
				}
				break
			}
			err := con.Err()
			if err == nil {
				err = errors.New("the console closed")
			}
			fmt.Fprint(info, "\r\n")
			return err
		}
	}
}

func escapeAt(b []byte) int {
	i, j := bytes.Index(b, ctrlBracket), bytes.Index(b, f10)
	switch {
	case i < 0:
		return j
	case j < 0:
		return i
	}
	return min(i, j)
}
