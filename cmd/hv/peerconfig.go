package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hyper-nixos/hv/nix"
)

// Where this host's keys are: the daemon's for its peers (made by the NixOS
// module's hv-peer-key.service) and sshd's own, preferred in this order.
var (
	peerKeyPath  = nix.PeerIdentity + ".pub"
	sshHostKeys  = []string{"/etc/ssh/ssh_host_ed25519_key.pub", "/etc/ssh/ssh_host_ecdsa_key.pub", "/etc/ssh/ssh_host_rsa_key.pub"}
	hostnameFunc = os.Hostname
)

// peerConfig is what another hv host declares to trust this one.
type peerConfig struct {
	Name      string   `json:"name"`
	HostKey   string   `json:"host_key"`
	RootKey   string   `json:"root_key"`
	Addresses []string `json:"addresses,omitempty"`
}

func newPeerConfigCmd() *cobra.Command {
	var (
		asJSON    bool
		addresses []string
	)
	cmd := &cobra.Command{
		Use:   "peer-config",
		Short: "Print what another hv host declares to trust this one for moving VMs (run as root)",
		Long: "Prints the NixOS settings another hv host needs so that this host's daemon can move VMs to it:\n" +
			"services.hyper-nixos.peers.NAME with this host's SSH host key and its daemon's key (" + peerKeyPath + ",\n" +
			"made by the NixOS module once hosts.peers lists anyone). Paste it into the other host's configuration,\n" +
			"list this host in that host's hosts.peers, and run the same here for the other host.",
		Example: "  sudo hv hosts peer-config --address 192.0.2.1",
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			pc, err := readPeerConfig(addresses)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), pc)
			}
			writePeerConfig(cmd.OutOrStdout(), pc)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringArrayVar(&addresses, "address", nil, "an IP address this host connects to the other from (repeatable): the other accepts this host's root key and opens its migration ports from these alone")
	return cmd
}

// sshKey is a public key line: its type and key, without the comment.
var sshKey = regexp.MustCompile(`^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) AAAA[A-Za-z0-9+/]+={0,3}`)

func readPeerConfig(addresses []string) (peerConfig, error) {
	pc := peerConfig{Addresses: addresses}
	for _, a := range addresses {
		if _, err := netip.ParseAddr(a); err != nil {
			return pc, usageError{fmt.Errorf("--address %q is not an IP address: the other host's sshd and firewall match addresses, not names", a)}
		}
	}
	name, err := hostnameFunc()
	if err != nil {
		return pc, err
	}
	pc.Name = name
	if pc.RootKey, err = readKey(peerKeyPath); errors.Is(err, fs.ErrNotExist) {
		return pc, withFix(fmt.Errorf("this host's daemon has no key for its peers yet (%s)", peerKeyPath),
			"list the other host in this host's hosts.peers and rebuild: the NixOS module makes the key (hv-peer-key.service)")
	} else if errors.Is(err, fs.ErrPermission) {
		return pc, withFix(fmt.Errorf("cannot read %s: only root can", peerKeyPath), "run it as root: sudo hv hosts peer-config")
	} else if err != nil {
		return pc, err
	}
	for _, p := range sshHostKeys {
		if pc.HostKey, err = readKey(p); err == nil {
			return pc, nil
		}
	}
	return pc, withFix(errors.New("this host has no SSH host key ("+strings.Join(sshHostKeys, ", ")+")"),
		"turn the ssh feature on (hv features enable ssh): the other host's daemon reaches this one over SSH")
}

// readKey reads a public key file, keeping the key's type and body.
func readKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	k := sshKey.FindString(strings.TrimSpace(string(b)))
	if k == "" {
		return "", fmt.Errorf("%s holds no SSH public key", path)
	}
	return k, nil
}

func writePeerConfig(w io.Writer, pc peerConfig) {
	fmt.Fprintf(w, "# On each hv host that %s moves VMs to: list it in that host's hosts.peers\n", pc.Name)
	fmt.Fprintf(w, "# (\"%s=ssh://ADDRESS\"), add this to its NixOS configuration and rebuild.\n", pc.Name)
	fmt.Fprintf(w, "services.hyper-nixos.peers.%q = {\n", pc.Name)
	fmt.Fprintf(w, "  hostKey = %q;\n", pc.HostKey)
	fmt.Fprintf(w, "  rootKey = %q;\n", pc.RootKey)
	if len(pc.Addresses) > 0 {
		quoted := make([]string, len(pc.Addresses))
		for i, a := range pc.Addresses {
			quoted[i] = fmt.Sprintf("%q", a)
		}
		fmt.Fprintf(w, "  addresses = [ %s ];\n", strings.Join(quoted, " "))
	} else {
		fmt.Fprintf(w, "  # addresses = [ \"192.0.2.1\" ];  # where %s connects from (--address): its key is then accepted from there alone\n", pc.Name)
	}
	fmt.Fprintln(w, "};")
}
