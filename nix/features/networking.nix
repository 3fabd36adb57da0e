{ config, lib, pkgs, host, ... }:
let
  virsh = "${config.virtualisation.libvirtd.package}/bin/virsh -c qemu:///system";

  # A oneshot that defines a libvirt network from XML, marks it autostart
  # and starts it; a changed XML is defined again at the next boot.
  libvirtNetwork = name: xml: {
    description = "libvirt network ${name} (Hyper-NixOS)";
    after = [ "libvirtd.service" ];
    requires = [ "libvirtd.service" ];
    wantedBy = [ "multi-user.target" ];
    serviceConfig = { Type = "oneshot"; RemainAfterExit = true; };
    script = ''
      ${virsh} net-define ${pkgs.writeText "${name}.xml" xml}
      ${virsh} net-autostart ${name}
      ${virsh} net-info ${name} | grep -q '^Active:.*yes' || ${virsh} net-start ${name}
    '';
  };

  # The NAT subnet, such as 192.168.100.0/24: the host takes the first
  # address, DHCP hands out the rest of the first 254.
  nat =
    let
      parts = lib.splitString "/" host.network.nat_subnet;
      octets = map lib.toInt (lib.splitString "." (lib.elemAt parts 0));
      prefix = lib.toInt (lib.elemAt parts 1);
      sizes = { "30" = 4; "29" = 8; "28" = 16; "27" = 32; "26" = 64; "25" = 128; };
      hosts = (sizes.${toString prefix} or 256) - 2;
      addr = n: lib.concatMapStringsSep "." toString (lib.take 3 octets ++ [ (lib.elemAt octets 3 + n) ]);
    in
    {
      inherit prefix;
      gateway = addr 1;
      first = addr (lib.min 2 hosts);
      last = addr (lib.min 254 hosts);
    };

  vlans = host.network.vlans;
  vlanName = id: "vlan${toString id}";
  bridgeName = id: "br-vlan${toString id}";
in
{
  "nat-network" = {
    systemd.services.hyper-nixos-net-nat = libvirtNetwork "hv-nat" ''
      <network>
        <name>hv-nat</name>
        <forward mode='nat'/>
        <bridge name='virbr-hv' stp='on' delay='0'/>
        <ip address='${nat.gateway}' prefix='${toString nat.prefix}'>
          <dhcp><range start='${nat.first}' end='${nat.last}'/></dhcp>
        </ip>
      </network>
    '';
    # VMs reach the host's DHCP and DNS (dnsmasq) on the bridge, nothing else.
    networking.firewall.interfaces.virbr-hv = {
      allowedUDPPorts = [ 53 67 ];
      allowedTCPPorts = [ 53 ];
    };
    boot.kernel.sysctl."net.ipv4.ip_forward" = 1;
  };

  "bridge-uplink" = {
    networking.bridges.br-hv.interfaces = [ host.network.uplink ];
    networking.interfaces.br-hv.useDHCP = lib.mkDefault true;
  };

  "isolated-networks".systemd.services.hyper-nixos-net-isolated = libvirtNetwork "hv-isolated" ''
    <network>
      <name>hv-isolated</name>
      <bridge name='virbr-hvi' stp='on' delay='0'/>
    </network>
  '';

  # VLANs ride on br-hv (bridge-uplink): the uplink itself is a bridge port.
  vlans = {
    networking.vlans = lib.listToAttrs (map (id: lib.nameValuePair (vlanName id) { inherit id; interface = "br-hv"; }) vlans);
    networking.bridges = lib.listToAttrs (map (id: lib.nameValuePair (bridgeName id) { interfaces = [ (vlanName id) ]; }) vlans);
    networking.interfaces = lib.listToAttrs (map (id: lib.nameValuePair (bridgeName id) { useDHCP = false; }) vlans);
  };

  "vm-firewall" = {
    boot.kernelModules = [ "br_netfilter" ];
    boot.kernel.sysctl = {
      "net.bridge.bridge-nf-call-iptables" = 1;
      "net.bridge.bridge-nf-call-ip6tables" = 1;
      "net.bridge.bridge-nf-call-arptables" = 1;
    };
  };

  ipv6.boot.kernel.sysctl = {
    "net.ipv6.conf.all.forwarding" = 1;
    "net.ipv6.conf.all.accept_ra" = 2;
    "net.ipv6.conf.default.accept_ra" = 2;
  };

  # Loaded at boot, so that module locking does not stop it later.
  "open-vswitch" = {
    virtualisation.vswitch.enable = true;
    boot.kernelModules = [ "openvswitch" ];
  };
}
