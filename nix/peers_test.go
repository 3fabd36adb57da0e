package nix

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Keys shaped like ed25519 public keys: the module checks their form, not
// their bytes.
const (
	hv2HostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH2hostkeyhostkeyhostkeyhostkeyhostkey"
	hv2RootKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH2rootkeyrootkeyrootkeyrootkeyrootkey hv-daemon@hv2"
	hv3HostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3hostkeyhostkeyhostkeyhostkeyhostkey"
	hv3RootKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3rootkeyrootkeyrootkeyrootkeyrootkey hv-daemon@hv3"

	forcedCommand = `restrict,command="/nix/store/00000000000000000000000000000000-hv-peer-command"`
	peerIdentity  = PeerIdentity // what hv's daemon names in its errors
)

// peerEvaluation is eval.nix's view of what moving VMs between hosts
// rests on.
type peerEvaluation struct {
	KnownHosts string   `json:"knownHosts"`
	SSHConfig  string   `json:"sshConfig"`
	RootKeys   []string `json:"rootKeys"`
	SSHD       struct {
		Enable          bool   `json:"enable"`
		PermitRootLogin string `json:"PermitRootLogin"`
	} `json:"sshd"`
	Firewall struct {
		ExtraCommands        string           `json:"extraCommands"`
		ExtraInputRules      string           `json:"extraInputRules"`
		AllowedTCPPortRanges []map[string]int `json:"allowedTCPPortRanges"`
	} `json:"firewall"`
	LibvirtdPath []string `json:"libvirtdPath"`
}

// evaluatePeers evaluates the module for a setup host with the ssh
// feature, hosts.peers hv2 (by name) and hv3 (by address, port 2222) as
// testdata/hosts/full.toml lists them, changed by host, and the NixOS
// configuration nixos beside it.
func evaluatePeers(t *testing.T, host func(*Host), nixos string) (evaluation, peerEvaluation) {
	t.Helper()
	full, err := DecodeHost(readTestdata(t, "full.toml"))
	if err != nil {
		t.Fatal(err)
	}
	h := *full
	h.Phase, h.Features = "setup", []string{"ssh"}
	if host != nil {
		host(&h)
	}
	extra := filepath.Join(t.TempDir(), "extra.nix")
	if err := os.WriteFile(extra, []byte("{ lib, ... }: {\n"+nixos+"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := moduleCase{host: &h}.evaluate(t, "--arg", "extra", extra)
	return ev, ev.Peers
}

const bothPeers = `
  services.hyper-nixos.peers = {
    hv2 = { hostKey = "` + hv2HostKey + `"; rootKey = "` + hv2RootKey + `"; addresses = [ "192.0.2.2" "2001:db8::2" ]; };
    hv3 = { hostKey = "` + hv3HostKey + `"; rootKey = "` + hv3RootKey + `"; };
  };`

// TestModuleTrustsPeers: with both peers' keys declared, every ssh here
// knows their host keys; root's ssh offers the daemon's own key to them;
// root logins from them are accepted with their daemons' keys only, from
// their addresses, for the forced command; sshd lets root in with forced
// commands only, in both phases; the migration ports are open to their
// addresses alone, with iptables or nftables; hv's daemon gets ssh and the
// network, libvirtd ssh; the daemon's key is made on the host before the
// daemon starts.
func TestModuleTrustsPeers(t *testing.T) {
	for _, phase := range []string{"setup", "hardened"} {
		t.Run(phase, func(t *testing.T) {
			t.Parallel()
			ev, p := evaluatePeers(t, func(h *Host) { h.Phase = phase }, bothPeers)
			if len(ev.FailedAssertions) > 0 || len(ev.Warnings) > 0 {
				t.Fatalf("failed assertions %q, warnings %q", ev.FailedAssertions, ev.Warnings)
			}
			if want := "hv2.example.org " + hv2HostKey + "\n[10.0.0.3]:2222 " + hv3HostKey + "\n"; p.KnownHosts != want {
				t.Errorf("ssh_known_hosts:\n%s\nwant:\n%s", p.KnownHosts, want)
			}
			match := "Match localuser root host hv2.example.org,10.0.0.3\n  IdentityFile " + peerIdentity + "\n  IdentitiesOnly yes\nMatch all\n"
			if i, j := strings.Index(p.SSHConfig, match), strings.Index(p.SSHConfig, "Host *"); i < 0 || j < i {
				t.Errorf("ssh_config lacks, before Host *:\n%s\nit is:\n%s", match, p.SSHConfig)
			}
			wantKeys := []string{
				`from="192.0.2.2,2001:db8::2",` + forcedCommand + " " + hv2RootKey,
				`from="10.0.0.3",` + forcedCommand + " " + hv3RootKey,
			}
			if !slices.Equal(p.RootKeys, wantKeys) {
				t.Errorf("root's authorized keys:\n%s\nwant:\n%s", strings.Join(p.RootKeys, "\n"), strings.Join(wantKeys, "\n"))
			}
			if !p.SSHD.Enable || p.SSHD.PermitRootLogin != "forced-commands-only" {
				t.Errorf("sshd: enable %v, PermitRootLogin %q; want on, forced-commands-only", p.SSHD.Enable, p.SSHD.PermitRootLogin)
			}
			wantFW := `iptables -w -A nixos-fw -p tcp -s 192.0.2.2 --dport 49152:49215 -m comment --comment "hv peer hv2" -j nixos-fw-accept
ip6tables -w -A nixos-fw -p tcp -s 2001:db8::2 --dport 49152:49215 -m comment --comment "hv peer hv2" -j nixos-fw-accept
iptables -w -A nixos-fw -p tcp -s 10.0.0.3 --dport 49152:49215 -m comment --comment "hv peer hv3" -j nixos-fw-accept
`
			if p.Firewall.ExtraCommands != wantFW || p.Firewall.ExtraInputRules != "" || len(p.Firewall.AllowedTCPPortRanges) != 0 {
				t.Errorf("firewall: extraCommands\n%s\nextraInputRules %q, open ranges %v; want\n%s", p.Firewall.ExtraCommands, p.Firewall.ExtraInputRules, p.Firewall.AllowedTCPPortRanges, wantFW)
			}

			svc := ev.Units["hv.service"]
			families := asStrings(svc.Settings["RestrictAddressFamilies"])
			slices.Sort(families)
			if !slices.Contains(svc.Path, "openssh") || svc.Settings["PrivateNetwork"] != false ||
				!slices.Equal(families, []string{"AF_INET", "AF_INET6", "AF_UNIX"}) {
				t.Errorf("hv.service: path %v, PrivateNetwork %v, RestrictAddressFamilies %v; the daemon runs ssh to its peers",
					svc.Path, svc.Settings["PrivateNetwork"], svc.Settings["RestrictAddressFamilies"])
			}
			if !slices.Contains(p.LibvirtdPath, "openssh") {
				t.Errorf("libvirtd's path %v lacks ssh: qemu+ssh:// runs it", p.LibvirtdPath)
			}
			checkPeerKeyUnit(t, ev)
		})
	}
}

// checkPeerKeyUnit: the daemon's key is made once, on the host, root's
// alone, before the daemon starts.
func checkPeerKeyUnit(t *testing.T, ev evaluation) {
	t.Helper()
	u := ev.Units["hv-peer-key.service"]
	if u == nil {
		t.Fatal("no hv-peer-key.service")
	}
	want := map[string]any{
		"Type":               "oneshot",
		"StateDirectory":     "hyper-nixos/ssh",
		"StateDirectoryMode": "0700",
		"UMask":              "0077",
		"ExecStart":          `/nix/store/00000000000000000000000000000000-openssh/bin/ssh-keygen -q -t ed25519 -N "" -C hv-daemon@%H -f ` + peerIdentity,
	}
	if mustJSON(u.Settings) != mustJSON(want) {
		t.Errorf("hv-peer-key.service: %s\nwant %s", mustJSON(u.Settings), mustJSON(want))
	}
	if u.UnitSettings["ConditionPathExists"] != "!"+peerIdentity {
		t.Errorf("hv-peer-key.service runs even when the key exists: %v", u.UnitSettings)
	}
	if !slices.Equal(u.Before, []string{"hv.service"}) || !slices.Equal(u.RequiredBy, []string{"hv.service"}) || !slices.Equal(u.WantedBy, []string{"multi-user.target"}) {
		t.Errorf("hv-peer-key.service: before %v, required by %v, wanted by %v", u.Before, u.RequiredBy, u.WantedBy)
	}
}

// TestModuleTrustsPeersWithNftables: the same openings as nftables rules,
// and no iptables commands, which NixOS refuses beside nftables.
func TestModuleTrustsPeersWithNftables(t *testing.T) {
	ev, p := evaluatePeers(t, nil, bothPeers+"\n  networking.nftables.enable = true;")
	if len(ev.FailedAssertions) > 0 {
		t.Fatalf("failed assertions %q", ev.FailedAssertions)
	}
	want := `ip saddr { 192.0.2.2 } tcp dport 49152-49215 accept comment "hv peer hv2"
ip6 saddr { 2001:db8::2 } tcp dport 49152-49215 accept comment "hv peer hv2"
ip saddr { 10.0.0.3 } tcp dport 49152-49215 accept comment "hv peer hv3"
`
	if p.Firewall.ExtraInputRules != want || p.Firewall.ExtraCommands != "" {
		t.Errorf("extraInputRules\n%s\nextraCommands %q; want\n%s", p.Firewall.ExtraInputRules, p.Firewall.ExtraCommands, want)
	}
}

// TestModuleWithoutPeerKeys: no peers, nothing of it; peers listed but no
// keys declared, the daemon's key only (for the admin to give the peers),
// nothing trusted.
func TestModuleWithoutPeerKeys(t *testing.T) {
	for name, c := range map[string]struct {
		host   func(*Host)
		keyGen bool
	}{
		"no peers":           {host: func(h *Host) { h.Hosts.Peers = nil }},
		"peers without keys": {keyGen: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ev, p := evaluatePeers(t, c.host, "")
			if len(ev.FailedAssertions) > 0 || len(ev.Warnings) > 0 {
				t.Fatalf("failed assertions %q, warnings %q", ev.FailedAssertions, ev.Warnings)
			}
			checkBoundary(t, ev) // the daemon off the network, as ever
			if p.KnownHosts != "\n" || strings.Contains(p.SSHConfig, "Match") || len(p.RootKeys) > 0 {
				t.Errorf("trusts someone: known hosts %q, ssh_config %q, root's keys %q", p.KnownHosts, p.SSHConfig, p.RootKeys)
			}
			if p.SSHD.PermitRootLogin != "no" {
				t.Errorf("PermitRootLogin %q; the ssh feature says no", p.SSHD.PermitRootLogin)
			}
			if p.Firewall.ExtraCommands != "" || len(p.Firewall.AllowedTCPPortRanges) > 0 || len(p.LibvirtdPath) > 0 {
				t.Errorf("firewall %+v, libvirtd's path %v", p.Firewall, p.LibvirtdPath)
			}
			if c.keyGen {
				checkPeerKeyUnit(t, ev)
			} else if ev.Units["hv-peer-key.service"] != nil || slices.Contains(ev.Services, "hv-peer-key") {
				t.Error("hv-peer-key.service without peers")
			}
		})
	}
}

// TestModulePeerWarnings: keys for a host hosts.peers does not list are not
// trusted; a peer known by name only is accepted from anywhere, and says
// so.
func TestModulePeerWarnings(t *testing.T) {
	t.Run("not listed", func(t *testing.T) {
		t.Parallel()
		ev, p := evaluatePeers(t, func(h *Host) { h.Hosts.Peers = []string{"hv3=ssh://root@10.0.0.3:2222"} }, bothPeers)
		if len(ev.Warnings) != 1 || !strings.Contains(ev.Warnings[0], "services.hyper-nixos.peers.hv2 names a host that hosts.peers does not list") {
			t.Errorf("warnings %q", ev.Warnings)
		}
		if len(p.RootKeys) != 1 || !strings.HasSuffix(p.RootKeys[0], hv3RootKey) || strings.Contains(p.KnownHosts, "hv2") {
			t.Errorf("hv2 is trusted: root's keys %q, known hosts %q", p.RootKeys, p.KnownHosts)
		}
	})
	t.Run("by name", func(t *testing.T) {
		t.Parallel()
		ev, p := evaluatePeers(t, nil, strings.Replace(bothPeers, `addresses = [ "192.0.2.2" "2001:db8::2" ];`, "", 1))
		if len(ev.FailedAssertions) > 0 || len(ev.Warnings) != 1 ||
			!strings.Contains(ev.Warnings[0], "peer hv2 is named by its host name (hv2.example.org), so its root key is accepted from every") {
			t.Fatalf("failed assertions %q, warnings %q", ev.FailedAssertions, ev.Warnings)
		}
		if p.RootKeys[0] != forcedCommand+" "+hv2RootKey {
			t.Errorf("hv2's key: %s", p.RootKeys[0])
		}
		if mustJSON(p.Firewall.AllowedTCPPortRanges) != `[{"from":49152,"to":49215}]` || strings.Contains(p.Firewall.ExtraCommands, "hv2") {
			t.Errorf("firewall: %+v; hv2 has no address, so the range is open", p.Firewall)
		}
	})
}

// TestModuleRefusesBadPeerKeys: a key that is not one, options in front of
// a root key, a host name for an address, and a trust sshd cannot give,
// are assertions that say what to write; nothing of a bad peer is trusted.
func TestModuleRefusesBadPeerKeys(t *testing.T) {
	for name, c := range map[string]struct {
		nixos, want string
	}{
		"host key with its host name": {
			strings.Replace(bothPeers, `hostKey = "`+hv2HostKey, `hostKey = "hv2.example.org `+hv2HostKey, 1),
			"services.hyper-nixos.peers.hv2.hostKey is not an SSH public key",
		},
		"root key with options": {
			strings.Replace(bothPeers, `rootKey = "`+hv2RootKey, `rootKey = "command=\"/bin/sh\" `+hv2RootKey, 1),
			"services.hyper-nixos.peers.hv2.rootKey is not an SSH public key",
		},
		"two lines for a root key": {
			strings.Replace(bothPeers, `rootKey = "`+hv2RootKey, `rootKey = "`+hv2RootKey+`\n`+hv3RootKey, 1),
			"services.hyper-nixos.peers.hv2.rootKey is not an SSH public key",
		},
		"a host name for an address": {
			strings.Replace(bothPeers, `"192.0.2.2"`, `"hv2.example.org"`, 1),
			`services.hyper-nixos.peers.hv2.addresses: "hv2.example.org" is not an IP address`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ev, p := evaluatePeers(t, nil, c.nixos)
			if len(ev.FailedAssertions) != 1 || !strings.Contains(ev.FailedAssertions[0], c.want) {
				t.Fatalf("failed assertions %q; want one saying %q", ev.FailedAssertions, c.want)
			}
			if len(p.RootKeys) != 1 || strings.Contains(p.KnownHosts, "hv2") {
				t.Errorf("hv2 is trusted: root's keys %q, known hosts %q", p.RootKeys, p.KnownHosts)
			}
		})
	}
	for name, c := range map[string]struct {
		features []string
		nixos    string
		want     string
	}{
		"ssh off":           {nil, "", "peers hv2, hv3 move VMs here as root over SSH, but SSH is off here"},
		"root logins off":   {nil, "services.openssh = { enable = true; settings.PermitRootLogin = \"no\"; };", `PermitRootLogin is "no". Set it to "forced-commands-only"`},
		"prohibit-password": {nil, "services.openssh.enable = true;", ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ev, p := evaluatePeers(t, func(h *Host) { h.Features = c.features }, bothPeers+"\n"+c.nixos)
			if c.want == "" {
				// NixOS's own default lets root in with keys; left as it is.
				if len(ev.FailedAssertions) > 0 || p.SSHD.PermitRootLogin != "prohibit-password" {
					t.Errorf("failed assertions %q, PermitRootLogin %q", ev.FailedAssertions, p.SSHD.PermitRootLogin)
				}
				return
			}
			if len(ev.FailedAssertions) != 1 || !strings.Contains(ev.FailedAssertions[0], c.want) {
				t.Errorf("failed assertions %q; want one saying %q", ev.FailedAssertions, c.want)
			}
		})
	}
}
