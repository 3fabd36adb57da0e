# The NixOS VM test of the module, for people with nixpkgs and KVM:
#   nix build .#checks.x86_64-linux.vm
# It boots a host from nix/tests/vm-host.toml and checks what the module
# promises: libvirtd; hv's daemon on its socket, the only way to change
# libvirt (alice, an operator, manages VMs through it as polkit allows;
# eve may only look; neither has read-write libvirt; only root writes the
# audit trail and the staged file); hv on the system reading the host file;
# features in effect; the daemon staging an operator's change and starting
# the apply service, which installs it, refuses a phase downgrade, and
# leaves a result hv shows; hv doctor as an outsider; and, on a second host
# with no host file yet, the first-boot wizard on tty1. The rebuild itself
# is replaced by `true`: a test VM has no configuration checkout to
# rebuild from.
{ pkgs, module }:
pkgs.testers.runNixOSTest {
  name = "hyper-nixos";

  nodes.host = { ... }: {
    imports = [ module ];
    virtualisation.memorySize = 2048;
    services.hyper-nixos = {
      enable = true;
      hostFile = ./vm-host.toml;
      apply.installPath = "/etc/nixos/hyper-nixos/host.toml";
      apply.rebuildCommand = [ "true" ];
    };
    users.users.alice.isNormalUser = true;
    users.users.eve.isNormalUser = true;
  };

  # A new host: firstBoot asked for, and no host file (the path is in the
  # repository, and does not exist).
  nodes.fresh = { ... }: {
    imports = [ module ];
    services.hyper-nixos = {
      enable = true;
      hostFile = ./no-host-file-yet.toml;
      firstBoot.enable = true;
      apply.installPath = "/etc/nixos/hyper-nixos/host.toml";
      apply.rebuildCommand = [ "true" ];
    };
  };

  testScript = ''
    def as_user(user, cmd):
        return f"su - {user} -c {repr(cmd)}"

    host.wait_for_unit("multi-user.target")
    host.wait_for_unit("libvirtd.socket")

    with subtest("hv's daemon: on its socket for everyone, its actions known to polkit"):
        host.wait_for_unit("hv.socket")
        host.succeed("test \"$(stat -c '%a %U' /run/hv/hv.sock)\" = '666 root'")
        host.succeed("pkaction --action-id org.hyper-nixos.vm.lifecycle --verbose | grep -q 'implicit any: *no'")
        host.succeed("pkaction --action-id org.hyper-nixos.read --verbose | grep -q 'implicit any: *yes'")
        host.fail("grep -h org.libvirt.unix.manage /etc/polkit-1/rules.d/*.rules | grep -q hvoperators")
        host.fail("id -nG alice | grep -qw libvirtd")
        host.succeed("test \"$(stat -c '%a %U' /var/log/hyper-nixos)\" = '700 root'")
        host.succeed("test \"$(stat -c '%a %U %G' /var/lib/hyper-nixos/staged)\" = '2750 root hvoperators'")

    with subtest("operators manage VMs through the daemon, others only look; libvirt read-write is root's"):
        host.wait_for_unit("hyper-nixos-pool-images.service")
        # Under the approved pool root (storage.images_dir), through /run/hv/hv.sock.
        host.succeed(as_user("alice", "hv pool define probe --path /var/lib/libvirt/images/probe"))
        host.succeed("systemctl is-active hv.service")
        host.succeed("virsh -c qemu:///system pool-info probe")
        host.succeed(as_user("alice", "hv pool undefine probe --yes"))
        host.fail(as_user("alice", "hv pool define outside --path /root"))
        host.succeed(as_user("eve", "hv pool list --json | grep -q hv-images"))
        host.fail(as_user("eve", "hv pool define probe --path /var/lib/libvirt/images/probe"))
        host.fail(as_user("alice", "virsh -c qemu:///system pool-define-as probe dir --target /tmp"))
        host.fail(as_user("eve", "virsh -c qemu:///system pool-define-as probe dir --target /tmp"))
        host.succeed(as_user("alice", "virsh -r -c qemu:///system list --all"))
        host.succeed(as_user("eve", "virsh -r -c qemu:///system list --all"))

    with subtest("only root writes the audit trail and the staged file"):
        host.succeed("grep -q alice /var/log/hyper-nixos/audit.log")
        host.fail(as_user("alice", "cat /var/log/hyper-nixos/audit.log"))
        host.fail(as_user("alice", "echo forged >> /var/log/hyper-nixos/audit.log"))
        host.fail(as_user("alice", "echo 'version = 1' > /var/lib/hyper-nixos/staged/host.toml"))

    with subtest("features of the host file are in effect"):
        host.wait_for_unit("hyper-nixos-net-nat.service")
        host.succeed("virsh -c qemu:///system net-info hv-nat | grep -q 'Active:.*yes'")
        host.succeed("virsh -c qemu:///system net-info hv-isolated | grep -q 'Active:.*yes'")
        host.succeed("virsh -c qemu:///system pool-info hv-images | grep -q 'State:.*running'")
        host.succeed("grep -q 'kvm_intel nested=1' /etc/modprobe.d/nixos.conf")
        host.succeed("grep -q 'user = \"qemu-libvirtd\"' /var/lib/libvirt/qemu.conf")
        host.succeed("test \"$(sysctl -n kernel.kptr_restrict)\" = 2")

    with subtest("hv is installed and reads the applied host file"):
        host.succeed(as_user("alice", "hv features list --json | grep -q '\"id\": \"nested-virt\"'"))
        host.succeed(as_user("alice", "hv features score | grep -q 'risk'"))

    with subtest("the daemon stages operators' changes and starts the apply service; others cannot"):
        host.succeed("install -D -m 0644 /etc/hyper-nixos/host.toml /etc/nixos/hyper-nixos/host.toml")
        host.succeed(as_user("alice", "hv features enable audit"))
        host.succeed("test \"$(stat -c %U /var/lib/hyper-nixos/staged/host.toml)\" = root")
        host.succeed(as_user("alice", "hv features apply --wait"))
        host.succeed("grep -q '\"status\": \"applied\"' /var/lib/hyper-nixos/last-apply.json")
        host.succeed("grep -q audit /etc/nixos/hyper-nixos/host.toml")
        # Nobody but root starts the unit itself: the daemon does, for operators.
        host.fail(as_user("alice", "systemctl start hyper-nixos-apply.service"))
        host.fail(as_user("eve", "systemctl start hyper-nixos-apply.service"))
        host.fail(as_user("eve", "hv features enable ssh"))

    with subtest("the apply service refuses what only root may do"):
        # root hardens the configuration; alice's next staging starts from the
        # running system's host file, still in the setup phase.
        host.succeed("sed -i 's/^phase = .*/phase = \"hardened\"/' /etc/nixos/hyper-nixos/host.toml")
        # The daemon stages it (as root): the apply service still judges it
        # as the operator's.
        host.succeed(as_user("alice", "hv features enable ssh"))
        host.fail(as_user("alice", "hv features apply --wait"))
        host.succeed("grep -q '\"status\": \"refused\"' /var/lib/hyper-nixos/last-apply.json")
        host.succeed("grep -q '^phase = .hardened.' /etc/nixos/hyper-nixos/host.toml")

    with subtest("hv doctor says what each user may do, and the fix"):
        host.succeed(as_user("alice", "hv doctor --json | grep -q '\"read_write\": false'"))
        host.succeed(as_user("eve", "hv doctor | grep -q 'usermod -aG hvoperators eve'"))

    with subtest("the first-boot wizard runs on tty1 until a host file exists"):
        fresh.wait_for_unit("hyper-nixos-wizard.service")
        fresh.fail("systemctl is-active getty@tty1.service")
        fresh.wait_until_tty_matches("1", "Setup wizard")
        fresh.succeed("test ! -e /etc/hyper-nixos/host.toml")
  '';
}
