{ config, lib, pkgs, host, cfg, peers, ... }:
let
  group = cfg.operators.group;
  novncDir = "/var/lib/hyper-nixos/novnc";

  # qemu.conf lines; NixOS's own default (namespaces = []) must be kept
  # when anything else is written there.
  qemuConf = lines: "namespaces = []\n" + lines;
in
{
  ssh.services.openssh = {
    enable = true;
    settings = {
      PasswordAuthentication = false;
      KbdInteractiveAuthentication = false;
      # No root logins, but the trusted peers' daemons', whose keys carry
      # a forced command (nix/peers.nix).
      PermitRootLogin = if peers == [ ] then "no" else "forced-commands-only";
    };
  };

  "ssh-passwords".services.openssh.settings = {
    PasswordAuthentication = lib.mkForce true;
    KbdInteractiveAuthentication = lib.mkForce true;
  };

  # Operators logging in on tty1 land in hv (no autologin: they log in as
  # usual); quitting it leaves the shell. Over SSH only those who opt in:
  # consoleMenu.sshUsers, or their own ~/.config/hv/menu-on-ssh. Never for
  # root, never twice (HV_MENU_ACTIVE), never without a terminal (scp, a
  # command given to ssh); HV_NO_MENU=1 skips it.
  "console-menu".environment.loginShellInit = ''
    if [ -z "''${HV_NO_MENU-}" ] && [ -z "''${HV_MENU_ACTIVE-}" ] && [ -t 0 ] && [ -t 1 ] && [ "$(id -u)" != 0 ] \
       && id -nG | tr ' ' '\n' | grep -qx ${lib.escapeShellArg group}; then
      hv_menu=
      case "$(tty)" in
        /dev/tty1) hv_menu=1 ;;
        *)
          if [ -n "''${SSH_TTY-}" ]; then
            if [ -e "$HOME/.config/hv/menu-on-ssh" ]; then hv_menu=1; fi
            for hv_user in ${lib.escapeShellArgs cfg.consoleMenu.sshUsers}; do
              if [ "$hv_user" = "$(id -un)" ]; then hv_menu=1; fi
            done
          fi
          ;;
      esac
      if [ -n "$hv_menu" ]; then HV_MENU_ACTIVE=1 hv; fi
      unset hv_menu hv_user
    fi
  '';

  "console-network" = {
    virtualisation.libvirtd.qemu.verbatimConfig = qemuConf ''
      vnc_listen = "0.0.0.0"
      spice_listen = "0.0.0.0"
    '';
    networking.firewall.allowedTCPPortRanges = [ { from = 5900; to = 5999; } ];
  };

  "console-tls" = {
    virtualisation.libvirtd.qemu.verbatimConfig = qemuConf ''
      vnc_listen = "0.0.0.0"
      vnc_tls = 1
      vnc_tls_x509_cert_dir = "/etc/pki/libvirt-vnc"
      vnc_tls_x509_verify = 1
      spice_listen = "0.0.0.0"
      spice_tls = 1
      spice_tls_x509_cert_dir = "/etc/pki/libvirt-spice"
    '';
    networking.firewall.allowedTCPPortRanges = [ { from = 5900; to = 5999; } ];
  };

  # Consoles listen on 127.0.0.1 already; the proxy adds nothing a local
  # user could not reach, so its tokens file is readable by all and
  # written by operators.
  "web-console" = {
    systemd.tmpfiles.rules = [
      "d ${novncDir} 2775 root ${group} -"
      "f ${novncDir}/tokens 0664 root ${group} -"
    ];
    systemd.services.hyper-nixos-novnc = {
      description = "noVNC web console on 127.0.0.1:6080 (Hyper-NixOS)";
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" ];
      serviceConfig = {
        ExecStart = lib.escapeShellArgs [
          "${pkgs.python3Packages.websockify}/bin/websockify"
          "--web" "${pkgs.novnc}/share/webapps/novnc"
          "--token-plugin" "TokenFile"
          "--token-source" "${novncDir}/tokens"
          "127.0.0.1:6080"
        ];
        DynamicUser = true;
        ProtectSystem = "strict";
        ProtectHome = true;
        PrivateTmp = true;
        NoNewPrivileges = true;
        Restart = "on-failure";
      };
    };
  };

  "remote-tls" = {
    systemd.sockets.libvirtd-tls.wantedBy = [ "sockets.target" ];
    networking.firewall.allowedTCPPorts = [ 16514 ];
    virtualisation.libvirtd.extraConfig = ''
      ca_file = "/etc/pki/libvirt/cacert.pem"
      cert_file = "/etc/pki/libvirt/servercert.pem"
      key_file = "/etc/pki/libvirt/serverkey.pem"
    '';
  };

  "remote-tcp" = {
    systemd.sockets.libvirtd-tcp.wantedBy = [ "sockets.target" ];
    networking.firewall.allowedTCPPorts = [ 16509 ];
    virtualisation.libvirtd.extraConfig = ''
      auth_tcp = "sasl"
    '';
  };

  ldap.services.sssd = {
    enable = true;
    config = ''
      [sssd]
      services = nss, pam
      domains = directory

      [domain/directory]
      id_provider = ldap
      auth_provider = ldap
      ldap_uri = ${host.access.ldap_uri}
      ldap_search_base = ${host.access.ldap_base}
      cache_credentials = true
    '';
  };

  "web-admin".services.cockpit = {
    enable = true;
    openFirewall = true;
  };

  # The last console= is /dev/console: the local screen stays the main one.
  "serial-console" = {
    boot.kernelParams = [ "console=ttyS0,115200n8" "console=tty0" ];
    systemd.services."serial-getty@ttyS0" = {
      enable = true;
      wantedBy = [ "getty.target" ];
    };
  };
}
