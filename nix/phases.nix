# What each security phase sets on the host by itself, whatever the
# features: one attribute per phase id of the catalog, holding plain NixOS
# settings (no mkIf at the top), as nix/features does. The module wraps
# each in mkIf on the phase; nix/tests/run.nix checks that each sets the
# options its catalog entry lists, and nothing that would break VM
# networking.
{ config, lib, pkgs, ... }:
{
  setup = { };

  # Production. The same values as the qemu-non-root, apparmor-qemu,
  # kernel-lockdown, sysctl-hardening and no-coredumps features where they
  # overlap (the sysctl-hardening ones from the same file), so that both may
  # be on: NixOS merges equal booleans, and the module merges the sysctl
  # settings of everything that is on into one definition (NixOS takes one
  # per key); tests/run.nix checks the values agree. Left alone on purpose:
  # net.ipv4.ip_forward and the interfaces' forwarding (libvirt turns them on
  # for NAT networks), and net.bridge.bridge-nf-call-* (bridged VMs must not
  # meet the host's firewall rules).
  hardened = {
    virtualisation.libvirtd.qemu.runAsRoot = false;
    # libvirt confines QEMU with AppArmor only once its profiles are
    # loaded; NixOS does not ship them yet (the catalog says so).
    security.apparmor.enable = true;
    security.protectKernelImage = true;
    boot.kernel.sysctl = import ./lib/sysctl-hardening.nix // {
      "kernel.kexec_load_disabled" = 1;
      "fs.protected_hardlinks" = 1;
      "fs.protected_symlinks" = 1;
      "fs.protected_fifos" = 2;
      "fs.protected_regular" = 2;
      "fs.suid_dumpable" = 0;
      "net.ipv4.tcp_syncookies" = 1;
    };
  };
}
