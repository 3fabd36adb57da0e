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

  "sysctl-hardening".boot.kernel.sysctl = import ../lib/sysctl-hardening.nix;

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
