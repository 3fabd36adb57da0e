{ config, lib, pkgs, host, cfg, ... }:
{
  "hv-monitor".hyperNixos.threatMonitor = {
    enable = true;
    package = cfg.package;
    libvirtURI = cfg.libvirtUri;
    readers = cfg.operators.group;
  };

  "hv-monitor-blocking".hyperNixos.threatMonitor.blocking = true;

  "prometheus-exporter".services.prometheus.exporters.node = {
    enable = true;
    openFirewall = true;
    enabledCollectors = [ "systemd" ];
  };

  "threat-detection".services.fail2ban = {
    enable = true;
    maxretry = 5;
    bantime = "1h";
  };

  audit = {
    security.auditd.enable = true;
    security.audit.enable = true;
    security.audit.rules = [
      "-w /etc/hyper-nixos -p wa -k hyper-nixos"
      "-w /var/lib/hyper-nixos/staged -p wa -k hyper-nixos-staged"
      "-w /var/lib/libvirt/qemu -p wa -k libvirt-domains"
      "-a exit,always -F arch=b64 -F euid=0 -S execve -k root-exec"
    ];
  };

  "log-forwarding".services.journald.upload = {
    enable = true;
    settings.Upload.URL = host.monitoring.log_target;
  };

  "smart-monitoring".services.smartd.enable = true;

  "libvirt-debug-logs".virtualisation.libvirtd.extraConfig = ''
    log_filters = "3:remote 4:event 3:util.json 3:rpc 1:qemu 1:libvirt"
    log_outputs = "1:file:/var/log/libvirt/libvirtd.log"
  '';
}
