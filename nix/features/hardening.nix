{ config, lib, pkgs, ... }:
{
  # libvirt confines QEMU with AppArmor only when its profiles are loaded;
  # the catalog's caveat says NixOS does not ship them yet.
  "apparmor-qemu".security.apparmor.enable = true;

  "qemu-non-root".virtualisation.libvirtd.qemu.runAsRoot = false;

  "kernel-lockdown" = {
    boot.kernelParams = [ "lockdown=integrity" ];
    security.protectKernelImage = true;
  };

  "module-locking".security.lockKernelModules = true;

  "cpu-mitigations-full".boot.kernelParams = [ "mitigations=auto,nosmt" ];

  "sysctl-hardening".boot.kernel.sysctl = {
    "kernel.kptr_restrict" = 2;
    "kernel.dmesg_restrict" = 1;
    "kernel.unprivileged_bpf_disabled" = 1;
    "net.core.bpf_jit_harden" = 2;
    "kernel.yama.ptrace_scope" = 1;
    "net.ipv4.conf.all.accept_redirects" = 0;
    "net.ipv4.conf.default.accept_redirects" = 0;
    "net.ipv6.conf.all.accept_redirects" = 0;
    "net.ipv6.conf.default.accept_redirects" = 0;
    "net.ipv4.conf.all.send_redirects" = 0;
    "net.ipv4.conf.all.accept_source_route" = 0;
  };

  # Devices present when USBGuard starts (the keyboard) stay usable.
  usbguard.services.usbguard = {
    enable = true;
    presentDevicePolicy = "allow";
    implicitPolicyTarget = "block";
  };

  "firewall-strict".networking.firewall = {
    enable = true;
    allowPing = false;
    logRefusedConnections = true;
  };

  # sysctl.d/60-nixos.conf comes after systemd's 50-coredump.conf.
  "no-coredumps" = {
    boot.kernel.sysctl = {
      "kernel.core_pattern" = "|${pkgs.coreutils}/bin/false";
      "fs.suid_dumpable" = 0;
    };
    security.pam.loginLimits = [ { domain = "*"; item = "core"; type = "hard"; value = "0"; } ];
  };

  "kernel-memory-hardening".boot.kernelParams = [
    "init_on_alloc=1"
    "init_on_free=1"
    "page_alloc.shuffle=1"
    "slab_nomerge"
    "randomize_kstack_offset=on"
  ];

  "audit-immutable".security.audit.enable = lib.mkForce "lock";

  "nix-restricted".nix.settings.allowed-users = [ "root" "@wheel" ];
}
