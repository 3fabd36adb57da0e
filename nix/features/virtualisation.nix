{ config, lib, pkgs, host, ... }:
let
  vfioModules = [ "vfio_pci" "vfio" "vfio_iommu_type1" ];
in
{
  "nested-virt".boot.extraModprobeConfig = ''
    options kvm_intel nested=1
    options kvm_amd nested=1
  '';

  iommu.boot.kernelParams = [ "intel_iommu=on" "amd_iommu=on" "iommu=pt" ];

  # In the initrd too, so that vfio-pci binds devices before their drivers do.
  vfio = {
    boot.kernelModules = vfioModules;
    boot.initrd.kernelModules = vfioModules;
  };

  "pci-passthrough".boot.extraModprobeConfig = ''
    options vfio-pci ids=${lib.concatStringsSep "," host.passthrough.pci_ids}
  '';

  "gpu-passthrough" = {
    boot.extraModprobeConfig = ''
      softdep nouveau pre: vfio-pci
      softdep nvidia pre: vfio-pci
      softdep amdgpu pre: vfio-pci
      softdep radeon pre: vfio-pci
      softdep i915 pre: vfio-pci
    '';
    boot.kernelParams = [ "video=efifb:off" ];
  };

  sriov.systemd.services.hyper-nixos-sriov =
    let
      nic = host.network.uplink;
      vfs = toString host.passthrough.sriov_vfs;
    in
    {
      description = "SR-IOV virtual functions on ${nic} (Hyper-NixOS)";
      wantedBy = [ "multi-user.target" ];
      before = [ "libvirtd.service" ];
      bindsTo = [ "sys-subsystem-net-devices-${nic}.device" ];
      after = [ "sys-subsystem-net-devices-${nic}.device" ];
      serviceConfig = { Type = "oneshot"; RemainAfterExit = true; };
      # The kernel refuses to change a non-zero count directly: reset first.
      script = ''
        f=/sys/class/net/${nic}/device/sriov_numvfs
        if [ "$(cat "$f")" != ${vfs} ]; then
          echo 0 > "$f"
          echo ${vfs} > "$f"
        fi
      '';
    };

  hugepages.boot.kernel.sysctl."vm.nr_overcommit_hugepages" = 4096;

  ksm.hardware.ksm.enable = true;

  virtiofs.virtualisation.libvirtd.qemu.vhostUserPackages = [ pkgs.virtiofsd ];

  "shared-folders".systemd.tmpfiles.rules = [ "d ${host.storage.shares_dir} 0711 root root -" ];

  "live-migration".networking.firewall.allowedTCPPortRanges = [ { from = 49152; to = 49215; } ];

  "usb-passthrough".environment.systemPackages = [ pkgs.usbutils ];

  "usb-redirection".virtualisation.spiceUSBRedirection.enable = true;

  tpm.virtualisation.libvirtd.qemu.swtpm.enable = true;

  # libvirt on NixOS looks for firmware descriptors under its sysconfdir,
  # /var/lib. NixOS's libvirtd module puts QEMU's EDK2 descriptors there
  # itself (pointing at the images it links under /run/libvirt/nix-ovmf);
  # a rule of ours for the same path would only fight it. What the feature
  # adds is the check that this NixOS does so.
  uefi.assertions = [ {
    assertion = lib.any (lib.hasPrefix "L+ /var/lib/qemu/firmware ") config.systemd.tmpfiles.rules;
    message = ''
      hyper-nixos: the uefi feature relies on NixOS's libvirtd module linking QEMU's firmware
      descriptors at /var/lib/qemu/firmware, and this NixOS does not: update nixpkgs, or turn uefi off.'';
  } ];

  "secure-boot".systemd.tmpfiles.rules = [ "L+ /var/lib/hyper-nixos/firmware - - - - ${pkgs.OVMFFull.fd}/FV" ];

  "windows-guests".environment.systemPackages = [ pkgs.virtio-win ];

  "cpu-mitigations-off".boot.kernelParams = [ "mitigations=off" ];

  "graceful-shutdown".virtualisation.libvirtd = {
    onShutdown = "shutdown";
    onBoot = "ignore";
  };
}
