# The kernel settings of the sysctl-hardening feature, which the hardened
# phase sets too (nix/phases.nix): one list, so that the two cannot come to
# disagree (the module merges both into the one definition per key NixOS
# takes). Nothing here may touch IP forwarding or bridge filtering
# (nix/tests/run.nix checks): NAT and bridged VM networks need them.
{
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
}
