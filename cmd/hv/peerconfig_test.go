package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// keysAt points peer-config at a daemon key and host keys in a directory
// of the test's own; "" leaves a file out.
func keysAt(t *testing.T, daemonKey, hostKey string) {
	t.Helper()
	dir := t.TempDir()
	saved, savedHost, savedName := peerKeyPath, sshHostKeys, hostnameFunc
	t.Cleanup(func() { peerKeyPath, sshHostKeys, hostnameFunc = saved, savedHost, savedName })
	peerKeyPath = filepath.Join(dir, "id_ed25519.pub")
	sshHostKeys = []string{filepath.Join(dir, "ssh_host_ed25519_key.pub"), filepath.Join(dir, "ssh_host_rsa_key.pub")}
	hostnameFunc = func() (string, error) { return "hv1", nil }
	if daemonKey != "" {
		os.WriteFile(peerKeyPath, []byte(daemonKey), 0o600)
	}
	if hostKey != "" {
		os.WriteFile(sshHostKeys[1], []byte(hostKey), 0o644)
	}
}

const (
	daemonPub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHvDaemonKeyOfHv1ForItsPeersAAAAAAAAAAAAAAA hv-daemon@hv1\n"
	hostPub   = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7hostkey= root@hv1\n"
)

// peer-config prints the NixOS declaration another host pastes to trust
// this one: the keys without their comments, the addresses given.
func TestPeerConfigPrintsWhatThePeerDeclares(t *testing.T) {
	keysAt(t, daemonPub, hostPub)
	code, out, errOut := cli(t, "hosts", "peer-config", "--address", "192.0.2.1", "--address", "2001:db8::1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		`services.hyper-nixos.peers."hv1" = {`,
		`  hostKey = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7hostkey=";`,
		`  rootKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHvDaemonKeyOfHv1ForItsPeersAAAAAAAAAAAAAAA";`,
		`  addresses = [ "192.0.2.1" "2001:db8::1" ];`,
		`hv1=ssh://ADDRESS`,
	} {
		if !strings.Contains(out, want+"\n") && !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	code, out, _ = cli(t, "hosts", "peer-config", "--json")
	var pc peerConfig
	if code != exitOK || json.Unmarshal([]byte(out), &pc) != nil || pc.Name != "hv1" || !strings.HasPrefix(pc.RootKey, "ssh-ed25519 ") || pc.Addresses != nil {
		t.Errorf("--json: exit %d %+v\n%s", code, pc, out)
	}
}

// Without the daemon's key, a host key or a real address it says what to do.
func TestPeerConfigSaysWhatIsMissing(t *testing.T) {
	for _, c := range []struct {
		daemon, host string
		args         []string
		code         int
		want         string
	}{
		{"", hostPub, nil, exitFailure, "list the other host in this host's hosts.peers and rebuild"},
		{daemonPub, "", nil, exitFailure, "hv features enable ssh"},
		{"not a key", hostPub, nil, exitFailure, "holds no SSH public key"},
		{daemonPub, hostPub, []string{"--address", "hv2.example.org"}, exitUsage, "is not an IP address"},
	} {
		keysAt(t, c.daemon, c.host)
		code, _, errOut := cli(t, append([]string{"hosts", "peer-config"}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("daemon key %q, host key %q, %v: exit %d, %s", c.daemon, c.host, c.args, code, errOut)
		}
	}
}
