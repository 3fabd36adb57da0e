package main

import (
	"io"
	"net"

	"github.com/spf13/cobra"
)

func newDialStdioCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "dial-stdio",
		Short: "Join standard input and output to this host's hv daemon (what --host ssh://... runs here)",
		Long: "Connects standard input and output to the hv daemon's socket ($HV_SOCKET, else " + socketPath() + ")\n" +
			"until either side ends. 'hv --host ssh://USER@HOST' runs it on HOST through ssh, as\n" +
			"'docker -H ssh://' runs 'docker system dial-stdio': the daemon there sees this process, so it\n" +
			"takes you for the SSH user and authorises you exactly as a local user. No port is opened.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := socketPath()
			conn, err := net.Dial("unix", path)
			if err != nil {
				return &cliError{msg: "no hv daemon answers on " + path + " here: " + err.Error(),
					fix: "on NixOS enable services.hyper-nixos (hv.socket); check it with 'systemctl status hv.socket'", err: err}
			}
			defer conn.Close()
			go func() {
				io.Copy(conn, cmd.InOrStdin())
				conn.(*net.UnixConn).CloseWrite() // the daemon sees the caller's end
			}()
			_, err = io.Copy(cmd.OutOrStdout(), conn)
			return err
		},
	}
}
