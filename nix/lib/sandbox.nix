# The systemd sandboxing every long-running hv service keeps (hv.service,
# hv-monitor.service), as serviceConfig settings: no new privileges, the
# file system read-only but for what a unit adds to ReadWritePaths, nothing
# of the kernel's to change, no namespaces, realtime or set-uid files,
# native system calls only. Each unit adds what is its own: what it may
# write, its address families, capabilities and system calls.
{
  NoNewPrivileges = true;
  ProtectSystem = "strict";
  ProtectKernelTunables = true;
  ProtectKernelModules = true;
  ProtectKernelLogs = true;
  ProtectControlGroups = true;
  ProtectClock = true;
  ProtectHostname = true;
  RestrictNamespaces = true;
  RestrictRealtime = true;
  RestrictSUIDSGID = true;
  LockPersonality = true;
  # Go, and libvirt's client library, generate no code at run time.
  MemoryDenyWriteExecute = true;
  SystemCallArchitectures = "native";
}
