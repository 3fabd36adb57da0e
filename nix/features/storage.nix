{ config, lib, pkgs, host, ... }:
let
  virsh = "${config.virtualisation.libvirtd.package}/bin/virsh -c qemu:///system";
  s = host.storage;

  # A oneshot that defines a libvirt storage pool from XML, marks it
  # autostart and starts it.
  libvirtPool = name: xml: {
    description = "libvirt storage pool ${name} (Hyper-NixOS)";
    after = [ "libvirtd.service" ];
    requires = [ "libvirtd.service" ];
    wantedBy = [ "multi-user.target" ];
    serviceConfig = { Type = "oneshot"; RemainAfterExit = true; };
    script = ''
      ${virsh} pool-define ${pkgs.writeText "${name}.xml" xml}
      ${virsh} pool-autostart ${name}
      ${virsh} pool-info ${name} | grep -q '^State:.*running' || ${virsh} pool-start ${name}
    '';
  };

  # Nightly: each VM's definition, and its disks, copied live through
  # libvirt's backup API when it runs, with qemu-img when it is off. Seven
  # days are kept.
  backupScript = ''
    set -euo pipefail
    dest=${s.backup_dir}/$(date +%F)
    mkdir -p "$dest"
    virsh="${virsh}"
    $virsh list --all --name | while IFS= read -r dom; do
      [ -n "$dom" ] || continue
      dir="$dest/$dom"
      mkdir -p "$dir"
      $virsh dumpxml --security-info "$dom" > "$dir/domain.xml"
      disks=$($virsh domblklist "$dom" --details | awk '$2 == "disk" && $4 != "-" { print $3 " " $4 }')
      if [ "$($virsh domstate "$dom")" = running ]; then
        xml="<domainbackup><disks>"
        while read -r target source; do
          [ -n "$target" ] || continue
          xml="$xml<disk name='$target' type='file'><target file='$dir/$target.qcow2'/><driver type='qcow2'/></disk>"
        done <<< "$disks"
        printf '%s</disks></domainbackup>\n' "$xml" > "$dir/backup.xml"
        $virsh backup-begin "$dom" "$dir/backup.xml"
        while $virsh domjobinfo "$dom" | grep -q '^Job type: *Unbounded'; do sleep 5; done
        $virsh domjobinfo "$dom" --completed | grep -q '^Job type: *Completed' \
          || { echo "backup of $dom did not complete" >&2; exit 1; }
      else
        while read -r target source; do
          [ -n "$target" ] || continue
          qemu-img convert -O qcow2 "$source" "$dir/$target.qcow2"
        done <<< "$disks"
      fi
    done
    find ${s.backup_dir} -mindepth 1 -maxdepth 1 -type d -mtime +7 -exec rm -rf {} +
  '';
in
{
  "dir-pool" = {
    systemd.tmpfiles.rules = [ "d ${s.images_dir} 0711 root root -" ];
    systemd.services.hyper-nixos-pool-images = libvirtPool "hv-images" ''
      <pool type='dir'>
        <name>hv-images</name>
        <target><path>${s.images_dir}</path></target>
      </pool>
    '';
  };

  "lvm-pool" = {
    services.lvm.enable = true;
    systemd.services.hyper-nixos-pool-lvm = libvirtPool "hv-lvm" ''
      <pool type='logical'>
        <name>hv-lvm</name>
        <source><name>${s.lvm_volume_group}</name><format type='lvm2'/></source>
        <target><path>/dev/${s.lvm_volume_group}</path></target>
      </pool>
    '';
  };

  "zfs-pool" = {
    boot.supportedFilesystems = [ "zfs" ];
    services.zfs.autoScrub.enable = true;
    systemd.services.hyper-nixos-pool-zfs = libvirtPool "hv-zfs" ''
      <pool type='zfs'>
        <name>hv-zfs</name>
        <source><name>${s.zfs_pool}</name></source>
      </pool>
    '';
  };

  "encrypted-volumes".environment.systemPackages = [ pkgs.cryptsetup ];

  backups = {
    systemd.tmpfiles.rules = [ "d ${s.backup_dir} 0700 root root -" ];
    systemd.services.hyper-nixos-backup = {
      description = "Back up every VM (Hyper-NixOS)";
      after = [ "libvirtd.service" ];
      requires = [ "libvirtd.service" ];
      path = [ pkgs.coreutils pkgs.gawk pkgs.gnugrep pkgs.findutils config.virtualisation.libvirtd.qemu.package ];
      serviceConfig.Type = "oneshot";
      script = backupScript;
    };
    systemd.timers.hyper-nixos-backup = {
      wantedBy = [ "timers.target" ];
      timerConfig = { OnCalendar = "daily"; Persistent = true; RandomizedDelaySec = "30m"; };
    };
  };

  "backup-offsite".services.restic.backups.hyper-nixos = {
    paths = [ s.backup_dir ];
    repository = s.offsite_repository;
    passwordFile = "/etc/hyper-nixos/restic-password";
    initialize = true;
    timerConfig = { OnCalendar = "daily"; Persistent = true; RandomizedDelaySec = "1h"; };
  };

  "zram-swap".zramSwap.enable = true;
}
