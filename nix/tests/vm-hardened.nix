# A NixOS VM test for people with nixpkgs and KVM:
#   nix build .#checks.x86_64-linux.vm-hardened
# It boots a host in the hardened phase with the balanced preset (the
# default of 'hv features init') and checks what the phase promises: its
# own kernel settings in effect beside the hardening features' (one
# definition per sysctl key), QEMU not as root, AppArmor on, kexec off;
# VM networks still working (forwarding, bridge filtering); the preset's
# features running; operators managing VMs through hv's daemon but unable to
# leave the phase or turn hardening off, and unable to go around the daemon:
# no read-write libvirt (the issue's attack: a pool on /root), no staged
# file or audit entry of their own, no starting the apply service. It could not be run where hv is developed (no nixpkgs, no KVM);
# its host evaluates there with the stand-ins (nix/module_test.go).
{ pkgs, module }:
let
  # remote-tls (which live-migration needs) makes libvirtd listen on TLS:
  # libvirtd does not start without a CA, a certificate and its key.
  # Consoles' TLS (console-tls) needs its files only when a VM with a
  # console starts, which this test does not do.
  pki = pkgs.runCommand "hyper-nixos-test-pki" { nativeBuildInputs = [ pkgs.openssl ]; } ''
    mkdir -p $out && cd $out
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=hyper-nixos test CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
      -keyout cakey.pem -out cacert.pem
    openssl req -newkey rsa:2048 -nodes -subj "/CN=host" -keyout serverkey.pem -out server.csr
    printf '%s\n' basicConstraints=critical,CA:FALSE keyUsage=critical,digitalSignature,keyEncipherment \
      extendedKeyUsage=serverAuth subjectAltName=DNS:host,DNS:localhost > server.ext
    openssl x509 -req -in server.csr -CA cacert.pem -CAkey cakey.pem -CAcreateserial -days 3650 \
      -extfile server.ext -out servercert.pem
    rm cakey.pem server.csr server.ext
  '';
in
pkgs.testers.runNixOSTest {
  name = "hyper-nixos-hardened";

  nodes.host = { ... }: {
    imports = [ module ];
    virtualisation.memorySize = 2048;
    services.hyper-nixos = {
      enable = true;
      hostFile = import ./preset-host.nix { preset = "balanced"; phase = "hardened"; };
      apply.installPath = "/etc/nixos/hyper-nixos/host.toml";
      apply.rebuildCommand = [ "true" ];
    };
    environment.etc = {
      "pki/libvirt/cacert.pem".source = "${pki}/cacert.pem";
      "pki/libvirt/servercert.pem".source = "${pki}/servercert.pem";
      "pki/libvirt/serverkey.pem" = { source = "${pki}/serverkey.pem"; mode = "0600"; };
    };
    users.users.alice.isNormalUser = true;
  };

  testScript = ''
    def as_user(user, cmd):
        return f"su - {user} -c {repr(cmd)}"

    host.wait_for_unit("multi-user.target")
    host.wait_for_unit("libvirtd.service")

    with subtest("the hardened phase's own settings are in effect"):
        for key, want in {
            "kernel.kptr_restrict": "2",
            "kernel.dmesg_restrict": "1",
            "kernel.yama.ptrace_scope": "1",
            "kernel.unprivileged_bpf_disabled": "1",
            "kernel.kexec_load_disabled": "1",
            "fs.suid_dumpable": "0",
            "fs.protected_regular": "2",
            "net.ipv4.conf.all.accept_redirects": "0",
            "net.ipv4.tcp_syncookies": "1",
        }.items():
            host.succeed(f"test \"$(sysctl -n {key})\" = {want}")
        host.succeed("sysctl -n kernel.core_pattern | grep -q '/bin/false$'")
        host.succeed("grep -qx Y /sys/module/apparmor/parameters/enabled")
        host.succeed("grep -q 'user = \"qemu-libvirtd\"' /var/lib/libvirt/qemu.conf")

    with subtest("VM networks still work: forwarding on for NAT, bridge filtering on"):
        host.wait_for_unit("hyper-nixos-net-nat.service")
        host.succeed("virsh -c qemu:///system net-info hv-nat | grep -q 'Active:.*yes'")
        host.succeed("virsh -c qemu:///system net-info hv-isolated | grep -q 'Active:.*yes'")
        host.succeed("test \"$(sysctl -n net.ipv4.ip_forward)\" = 1")
        host.succeed("test \"$(sysctl -n net.bridge.bridge-nf-call-iptables)\" = 1")

    with subtest("the balanced preset's features are in effect"):
        host.succeed("virsh -c qemu:///system pool-info hv-images | grep -q 'State:.*running'")
        host.succeed("sshd -T | grep -qx 'passwordauthentication no'")
        host.wait_for_open_port(16514)
        host.wait_for_unit("hv-monitor.service")
        host.succeed("test -L /var/lib/qemu/firmware")
        host.succeed("ls /var/lib/hyper-nixos/firmware/ | grep -q OVMF")

    with subtest("operators manage VMs through hv's daemon, and cannot leave the hardened phase"):
        host.wait_for_unit("hv.socket")
        host.succeed(as_user("alice", "hv vm list --json"))
        host.succeed(as_user("alice", "hv pool define probe --path /var/lib/libvirt/images/probe"))
        host.succeed(as_user("alice", "hv pool undefine probe --yes"))
        host.succeed("journalctl -u hv.service | grep -q 'hv daemon ready'")
        host.succeed("grep -q alice /var/log/hyper-nixos/audit.log")
        host.succeed(as_user("alice", "hv phase status --json | grep -q '\"phase\": \"hardened\"'"))
        host.fail(as_user("alice", "hv features phase setup"))
        host.fail(as_user("alice", "hv features disable sysctl-hardening"))
        host.succeed("test ! -e /var/lib/hyper-nixos/staged/host.toml")

    with subtest("operators cannot go around the daemon"):
        # The issue's attack: a pool on /root, read back as a volume.
        host.fail(as_user("alice", "virsh -c qemu:///system pool-create-as x dir --target /root"))
        host.fail(as_user("alice", "hv pool define x --path /root"))
        host.succeed(as_user("alice", "virsh -r -c qemu:///system list --all"))
        # The staged file, the apply service and the audit trail are root's.
        host.fail(as_user("alice", "sed 's/^phase = .*/phase = \"setup\"/' /etc/hyper-nixos/host.toml > /var/lib/hyper-nixos/staged/host.toml"))
        host.fail(as_user("alice", "systemctl start hyper-nixos-apply.service"))
        host.fail(as_user("alice", "echo forged >> /var/log/hyper-nixos/audit.log"))
        host.succeed("test ! -e /var/lib/hyper-nixos/staged/host.toml")

    with subtest("hv's daemon runs as root, sandboxed"):
        host.succeed("test -z \"$(systemctl show hv.service -p CapabilityBoundingSet --value)\"")
        host.succeed("systemctl show hv.service -p NoNewPrivileges --value | grep -qx yes")
        host.succeed("systemctl show hv.service -p PrivateNetwork --value | grep -qx yes")
        host.succeed("test \"$(stat -c %u /proc/$(systemctl show hv.service -p MainPID --value))\" = 0")
  '';
}
