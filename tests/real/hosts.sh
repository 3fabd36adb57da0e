#!/usr/bin/env bash
# tests/real/hosts.sh: two more hv hosts on this one machine, for the multi-host tests.
#
# Each host ("a" and "b") is a mount and UTS namespace of its own (hostname hv-mh-a, hv-mh-b)
# with private /run, /etc/libvirt, /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt and
# /etc/ssh, and in it what a Hyper-NixOS host runs: a D-Bus system bus, polkitd (hv's actions
# and the NixOS module's rule), virtlogd, libvirtd (its own host UUID, QEMU migration ports and
# no cgroups, so that the two never collide), the hv daemon on /run/hv/hv.sock, and sshd on
# 127.0.0.1 (port 2201 for a, 2202 for b). Both hosts see their own storage pool at the same
# path, /var/lib/hv-mh/pool, as real hosts with local disks do.
#
#   hvmha  (operator)  reaches host a over SSH:  ssh -p 2201 hvmha@127.0.0.1 hv dial-stdio
#   hvmhb  (operator)  reaches host b over SSH:  ssh -p 2202 hvmhb@127.0.0.1 hv dial-stdio
#   root   of each host reaches the other one's root (libvirt's peer-to-peer migration over
#          qemu+ssh, and the hv daemons' migration tickets), with a key made here.
#
# The machine's own daemons (tests/real/daemon.sh) are never touched: nothing here binds to
# another address than 127.0.0.1, and only the processes this script started are stopped
# (recorded with their start times in /run/hv-mh/pids).
#
# Usage: tests/real/hosts.sh up | down | status | env | exec HOST CMD... | stop-hv HOST | start-hv HOST
#        ($HV_BIN is the hv to run, else it is built from this checkout.)

set -euo pipefail

# No inherited descriptor (a caller's lock) may reach our daemons. No redirection around the
# loop: bash would keep its saved stderr on a descriptor the loop closes.
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    if ((fd > 2 && fd < 255)) && [[ -e /proc/$$/fd/$fd ]]; then eval "exec $fd>&-"; fi
done
[[ -z ${HV_MH_TRACE:-} ]] || { exec 200>>"$HV_MH_TRACE"; BASH_XTRACEFD=200; set -x; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
REPO=$(cd "$HERE/../.." && pwd)

HOSTS=(a b)
ROOT=/var/lib/hv-mh                 # everything of the two hosts
POOL=$ROOT/pool                     # each host's own pool directory, mounted here in its namespace
BIN=$ROOT/bin                       # hv, mounted over /usr/local/bin in the namespaces
KEYS=$ROOT/keys                     # the SSH keys the tests use
STATE_DIR=/run/hv-mh
PIDS_FILE=$STATE_DIR/pids
OPERATOR_GROUP=hvoperators          # the group hv's polkit rule grants (nix/polkit/50-hyper-nixos.rules)

log() { printf 'hv-mh: %s\n' "$*" >&2; }
die() { printf 'hv-mh: ERROR: %s\n' "$*" >&2; exit 1; }

port_of()     { case $1 in a) echo 2201 ;; b) echo 2202 ;; esac; }
user_of()     { echo "hvmh$1"; }
hostname_of() { echo "hv-mh-$1"; }
uuid_of()     { case $1 in a) echo 6a7e0000-0000-4000-8000-00000000000a ;; b) echo 6a7e0000-0000-4000-8000-00000000000b ;; esac; }
migport_of()  { case $1 in a) echo 49400 ;; b) echo 49420 ;; esac; }
dir_of()      { echo "$ROOT/$1"; }

# ---------------------------------------------------------------------------------------------
# Processes (PID 1 may not reap: a zombie counts as gone)

proc_field() {
    local stat f
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    read -ra f <<<"$stat"
    printf '%s' "${f[$2 - 3]:-}"
}
proc_running() { local s; s=$(proc_field "$1" 3); [[ -n $s && $s != Z && $s != X ]]; }
proc_gone()    { ! proc_running "$1"; }

record_get() {          # PID of NAME if we started it and it still runs
    local name pid start
    [[ -f $PIDS_FILE ]] || return 0
    while read -r name pid start; do
        [[ $name == "$1" ]] || continue
        if proc_running "$pid" && [[ $(proc_field "$pid" 22) == "$start" ]]; then printf '%s' "$pid"; fi
        return 0
    done <"$PIDS_FILE"
}
record_drop() {
    [[ -f $PIDS_FILE ]] || return 0
    awk -v n="$1" '$1 != n' "$PIDS_FILE" >"$PIDS_FILE.tmp"
    mv -f "$PIDS_FILE.tmp" "$PIDS_FILE"
}
record_set() { record_drop "$1"; printf '%s %s %s\n' "$1" "$2" "$(proc_field "$2" 22)" >>"$PIDS_FILE"; }

now_us() { printf '%s' "${EPOCHREALTIME/./}"; }
wait_for() {            # wait_for SECONDS WHAT COMMAND...
    local deadline=$(( $(now_us) + $1 * 1000000 )) what=$2
    shift 2
    until "$@"; do
        (( $(now_us) < deadline )) || { log "timed out waiting for $what"; return 1; }
        sleep 0.1
    done
}

stop_recorded() {
    local pid
    pid=$(record_get "$1")
    if [[ -z $pid ]]; then record_drop "$1"; return 0; fi
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_for 20 "$1 (pid $pid) to exit" proc_gone "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
        wait_for 5 "$1 (pid $pid) to die" proc_gone "$pid" || die "$1 (pid $pid) survives SIGKILL"
    fi
    record_drop "$1"
}

in_ns() {               # in_ns HOST CMD...: run CMD in the host's namespaces
    local holder
    holder=$(record_get "ns-$1")
    [[ -n $holder ]] || die "host $1 is not up (run: $SELF up)"
    shift
    nsenter -t "$holder" -m -u -- "$@"
}

# start_in HOST NAME PIDFILE CMD...: a daemon that forks (-d) and writes PIDFILE (a path in the
# namespace); or, with PIDFILE "-", one kept in the foreground, whose PID is ours.
start_in() {
    local host=$1 name=$2 pidfile=$3 pid
    shift 3
    [[ -n $(record_get "$name-$host") ]] && return 0
    local out="$(dir_of "$host")/log/$name.log"
    if [[ $pidfile == - ]]; then
        # nsenter execs the command (it forks only to enter a PID namespace), and so does
        # setsid outside a process group of its own: $! is the daemon itself.
        nsenter -t "$(record_get "ns-$host")" -m -u -- setsid "$@" </dev/null >>"$out" 2>&1 9>&- &
        pid=$!
    else
        in_ns "$host" "$@" </dev/null >>"$out" 2>&1 9>&- || { tail -n 20 "$out" >&2; die "$name on $host failed to start"; }
        local file="$(dir_of "$host")/run/${pidfile#/run/}"
        wait_for 20 "$name on $host to write $pidfile" test -s "$file" || die "no $pidfile"
        pid=$(tr -dc 0-9 <"$file")
    fi
    record_set "$name-$host" "$pid"
}

# ---------------------------------------------------------------------------------------------
# Setup outside the namespaces

install_packages() {
    local need=()
    [[ -x /usr/sbin/sshd ]] || need+=(openssh-server)
    [[ -x /usr/bin/nsenter ]] || need+=(util-linux)
    ((${#need[@]})) || return 0
    log "installing ${need[*]}"
    local made=
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then   # the package must not start the machine's sshd
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 0755 /usr/sbin/policy-rc.d; made=1
    fi
    { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"; } >&2 ||
        { [[ -n $made ]] && rm -f /usr/sbin/policy-rc.d; die "apt-get could not install ${need[*]}"; }
    [[ -n $made ]] && rm -f /usr/sbin/policy-rc.d
    return 0
}

ensure_user() {         # a login user in the operators group; '*' (not '!'): sshd lets it in by key
    local u=$1
    getent group "$OPERATOR_GROUP" >/dev/null || groupadd "$OPERATOR_GROUP"
    id -u "$u" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash -G "$OPERATOR_GROUP" "$u"
    [[ " $(id -nG "$u") " == *" $OPERATOR_GROUP "* ]] || usermod -aG "$OPERATOR_GROUP" "$u"
    [[ $(getent shadow "$u" | cut -d: -f2) == '*' ]] || usermod -p '*' "$u"
}

hv_binary() {
    install -d -m 0755 "$BIN"
    if [[ -n ${HV_BIN:-} ]]; then
        [[ -x $HV_BIN ]] || die "HV_BIN=$HV_BIN is not an executable"
        cmp -s "$HV_BIN" "$BIN/hv" || install -m 0755 "$HV_BIN" "$BIN/hv"
        return 0
    fi
    command -v go >/dev/null || PATH=/usr/local/go/bin:$PATH
    (cd "$REPO" && go build -o "$BIN/hv.new" ./cmd/hv) >&2 || die "building hv failed"
    mv -f "$BIN/hv.new" "$BIN/hv"
}

make_keys() {           # client keys of the operators and of root; the hosts' own keys
    install -d -m 0755 "$KEYS"
    local k
    for k in operator root; do
        [[ -f $KEYS/$k ]] || ssh-keygen -q -t ed25519 -N '' -C "hv-mh $k" -f "$KEYS/$k"
    done
    local h
    for h in "${HOSTS[@]}"; do
        [[ -f $KEYS/host-$h ]] || ssh-keygen -q -t ed25519 -N '' -C "hv-mh host $h" -f "$KEYS/host-$h"
    done
    : >"$KEYS/known_hosts.new"
    for h in "${HOSTS[@]}"; do
        printf '[127.0.0.1]:%s %s\n' "$(port_of "$h")" "$(cut -d' ' -f1,2 "$KEYS/host-$h.pub")" >>"$KEYS/known_hosts.new"
    done
    mv -f "$KEYS/known_hosts.new" "$KEYS/known_hosts"
    # What the operators' hv uses (HV_SSH="ssh -F $KEYS/ssh_config"): host keys checked.
    cat >"$KEYS/ssh_config" <<EOF
Host *
    IdentityFile $KEYS/operator
    IdentitiesOnly yes
    UserKnownHostsFile $KEYS/known_hosts
    StrictHostKeyChecking yes
    BatchMode yes
EOF
}

write_host_dir() {      # the files of host $1, fresh on every up (its VMs, pool and trail stay)
    local h=$1 d
    d=$(dir_of "$h")
    install -d -m 0755 "$d" "$d/log" "$d/etc-libvirt" "$d/lib-libvirt" "$d/log-libvirt" "$d/cache-libvirt" \
        "$d/pool" "$d/hv" "$d/hv/state" "$d/polkit-actions" "$d/etc-ssh"
    install -d -m 0700 -o polkitd -g root "$d/polkit-rules"
    [[ -n $(record_get "ns-$h") ]] || { rm -rf "$d/run"; install -d -m 0755 "$d/run"; }
    # libvirt: the test tier's settings, plus what keeps two daemons on one machine apart.
    cp -f /etc/libvirt/libvirt.conf "$d/etc-libvirt/" 2>/dev/null || true
    { cat "$HERE/libvirtd.conf"
      printf 'host_uuid = "%s"\n' "$(uuid_of "$h")"; } >"$d/etc-libvirt/libvirtd.conf"
    { cat "$HERE/qemu.conf"
      local p; p=$(migport_of "$h")
      # No migration_host nor migration_address: libvirt refuses loopback ones. hv's daemon
      # names both in each move, from the peer's SSH address (127.0.0.1 here).
      printf 'cgroup_controllers = [ ]\n'
      printf 'migration_port_min = %d\nmigration_port_max = %d\n' "$p" $((p + 19)); } >"$d/etc-libvirt/qemu.conf"
    if [[ -d /var/cache/libvirt/qemu/capabilities && ! -d $d/cache-libvirt/qemu ]]; then
        cp -a /var/cache/libvirt/qemu "$d/cache-libvirt/" 2>/dev/null || true   # skips a 5 s probe
    fi
    # polkit: the actions hv and libvirt declare, and the module's rule.
    cp -f /usr/share/polkit-1/actions/*.policy "$d/polkit-actions/" 2>/dev/null || true
    install -m 0644 "$REPO/nix/polkit/org.hyper-nixos.policy" "$d/polkit-actions/"
    install -m 0644 "$HERE/org.libvirt.unix.policy" "$d/polkit-actions/"
    if ! cmp -s "$REPO/nix/polkit/50-hyper-nixos.rules" "$d/polkit-rules/50-hyper-nixos.rules"; then
        install -m 0644 "$REPO/nix/polkit/50-hyper-nixos.rules" "$d/polkit-rules/"
        stop_recorded "polkitd-$h"      # read afresh at its start
    fi
    # ssh: the host's sshd, and root's client settings towards the other host.
    cp -a /etc/ssh/. "$d/etc-ssh/"
    install -m 0600 "$KEYS/host-$h" "$d/etc-ssh/hv-mh-host-key"
    install -m 0600 "$KEYS/root" "$d/etc-ssh/hv-mh-root-key"
    install -m 0644 "$KEYS/known_hosts" "$d/etc-ssh/ssh_known_hosts"
    cat >"$d/etc-ssh/ssh_config" <<EOF
Host *
    IdentityFile /etc/ssh/hv-mh-root-key
    StrictHostKeyChecking yes
    BatchMode yes
EOF
    install -d -m 0755 "$d/etc-ssh/authorized"
    install -m 0644 "$KEYS/operator.pub" "$d/etc-ssh/authorized/$(user_of "$h")"
    install -m 0644 "$KEYS/root.pub" "$d/etc-ssh/authorized/root"
    cat >"$d/etc-ssh/hv-mh-sshd_config" <<EOF
ListenAddress 127.0.0.1:$(port_of "$h")
HostKey /etc/ssh/hv-mh-host-key
PidFile /run/sshd.pid
AuthorizedKeysFile /etc/ssh/authorized/%u
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $(user_of "$h") root
UsePAM no
PrintMotd no
# The benchmarks point dial-stdio at a second daemon of the host (ssh -o SetEnv=HV_SOCKET=...).
AcceptEnv HV_SOCKET
EOF
    # The hv daemon's host file: the phase, the pool root, and the other host as a peer.
    local other
    for other in "${HOSTS[@]}"; do [[ $other == "$h" ]] || break; done
    cat >"$d/hv/host.toml" <<EOF
# The host file of hv-mh-$h (tests/real/hosts.sh).
version = 1
phase = "setup"
features = []

[operators]
group = "$OPERATOR_GROUP"
users = ["$(user_of "$h")"]

[storage]
images_dir = "$POOL"

[hosts]
peers = ["$(hostname_of "$other")=ssh://127.0.0.1:$(port_of "$other")"]
EOF
}

# ---------------------------------------------------------------------------------------------
# One host

start_namespace() {
    local h=$1 d pid
    d=$(dir_of "$h")
    [[ -n $(record_get "ns-$h") ]] && return 0
    rm -f "$d/ns-ready"
    # The holder: mounts the host's private directories, then sleeps; every daemon of the host
    # is entered into its namespaces with nsenter.
    unshare --mount --uts --propagation private -- bash -c '
        set -e
        hostname "$1"; d=$2
        mount --bind "$d/run" /run
        mount --bind "$d/etc-libvirt" /etc/libvirt
        mount --bind "$d/lib-libvirt" /var/lib/libvirt
        mount --bind "$d/log-libvirt" /var/log/libvirt
        mount --bind "$d/cache-libvirt" /var/cache/libvirt
        mount --bind "$d/etc-ssh" /etc/ssh
        mount --bind "$d/pool" "$3"
        mount --bind "$4" /usr/local/bin
        mount --bind "$d/polkit-actions" /usr/share/polkit-1/actions
        mount --bind "$d/polkit-rules" /etc/polkit-1/rules.d
        : >"$d/ns-ready"
        exec sleep infinity' hv-mh-ns "$(hostname_of "$h")" "$d" "$POOL" "$BIN" </dev/null >>"$d/log/ns.log" 2>&1 9>&- &
    pid=$!
    wait_for 10 "the namespace of host $h" test -e "$d/ns-ready" || { cat "$d/log/ns.log" >&2; die "namespace of $h"; }
    record_set "ns-$h" "$pid"
}

bus_answers_in() {
    in_ns "$1" dbus-send --system --print-reply --reply-timeout=2000 --dest=org.freedesktop.DBus \
        /org/freedesktop/DBus org.freedesktop.DBus.GetId >/dev/null 2>&1
}
polkit_in() {
    in_ns "$1" dbus-send --system --print-reply --reply-timeout=2000 --dest=org.freedesktop.DBus \
        /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.PolicyKit1 2>/dev/null | grep -q true
}
virsh_in()    { in_ns "$1" virsh -c qemu:///system version >/dev/null 2>&1; }
hv_in()       { in_ns "$1" curl -sf --unix-socket /run/hv/hv.sock http://hv/v1/whoami >/dev/null 2>&1; }
sshd_in()     { (echo >"/dev/tcp/127.0.0.1/$(port_of "$1")") 2>/dev/null; }

start_host() {
    local h=$1 d t0
    t0=$(now_us)
    d=$(dir_of "$h")
    start_namespace "$h"
    # /run/lock: libvirt locks a console's pty there (/var/lock is a link to it).
    in_ns "$h" install -d -m 0755 /run/dbus /run/hv /run/libvirt /run/sshd /run/lock
    start_in "$h" dbus /run/dbus/pid dbus-daemon --system --fork
    wait_for 10 "D-Bus on $h" bus_answers_in "$h"
    start_in "$h" polkitd - /usr/lib/polkit-1/polkitd --no-debug
    wait_for 15 "polkitd on $h" polkit_in "$h"
    start_in "$h" virtlogd /run/virtlogd.pid virtlogd -d
    start_in "$h" libvirtd /run/libvirtd.pid libvirtd -d -f /etc/libvirt/libvirtd.conf
    wait_for 60 "libvirtd on $h" virsh_in "$h" || { tail -n 20 "$d/log-libvirt/libvirtd.log" >&2; die "libvirtd on $h"; }
    stop_recorded "hv-$h"       # started afresh on every up: the hv just built
    start_hv "$h"
    ensure_pool "$h"
    stop_recorded "sshd-$h"     # its configuration may have changed
    start_in "$h" sshd - /usr/sbin/sshd -D -f /etc/ssh/hv-mh-sshd_config -E "$d/log/sshd-auth.log"
    wait_for 10 "sshd on $h" sshd_in "$h" || { tail -n 20 "$d/log/sshd.log" "$d/log/sshd-auth.log" >&2; die "sshd on $h"; }
    log "host $h ($(hostname_of "$h")) up: libvirtd, hv daemon, sshd on 127.0.0.1:$(port_of "$h") ($(( ($(now_us) - t0) / 1000 )) ms)"
}

# The host's pool (hv-mh, the same path on both hosts, each its own files) with the tiny guest's
# ISO when $HV_REAL_GUEST_ISO names it (tests/real/guest/build.sh).
POOL_NAME=hv-mh
ensure_pool() {
    local h=$1 virsh=(in_ns "$1" virsh -q -c qemu:///system)
    if [[ -n ${HV_REAL_GUEST_ISO:-} && -r $HV_REAL_GUEST_ISO ]] &&
        ! cmp -s "$HV_REAL_GUEST_ISO" "$(dir_of "$h")/pool/tiny-guest.iso"; then
        install -m 0644 "$HV_REAL_GUEST_ISO" "$(dir_of "$h")/pool/tiny-guest.iso"
    fi
    if ! "${virsh[@]}" pool-info "$POOL_NAME" >/dev/null 2>&1; then
        "${virsh[@]}" pool-define-as "$POOL_NAME" dir --target "$POOL" >/dev/null
        "${virsh[@]}" pool-autostart "$POOL_NAME" >/dev/null
    fi
    [[ $("${virsh[@]}" pool-info "$POOL_NAME" | awk '/^State:/ {print $2}') == running ]] ||
        "${virsh[@]}" pool-start "$POOL_NAME" >/dev/null
    "${virsh[@]}" pool-refresh "$POOL_NAME" >/dev/null
}

start_hv() {            # the host's hv daemon, as the NixOS module runs it
    local h=$1 d
    d=$(dir_of "$h")
    [[ -n $(record_get "hv-$h") ]] && return 0
    # A clean environment, as systemd gives it: nothing of the caller's (an operator's $HV_SSH).
    start_in "$h" hv - env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root HV_HOST_FILE="$d/hv/host.toml" HV_STATE_DIR="$d/hv/state" \
        HV_AUDIT_LOG="$d/hv/audit.log" LIBVIRT_DEFAULT_URI=qemu:///system \
        /usr/local/bin/hv daemon --listen /run/hv/hv.sock
    wait_for 30 "the hv daemon on $h" hv_in "$h" || { tail -n 20 "$d/log/hv.log" >&2; die "hv daemon on $h"; }
}

stop_host() {
    local h=$1 name
    for name in sshd hv libvirtd virtlogd polkitd dbus ns; do
        stop_recorded "$name-$h"
    done
}

# ---------------------------------------------------------------------------------------------

cmd_up() {
    [[ $EUID -eq 0 ]] || die "must run as root"
    install -d -m 0755 "$STATE_DIR" "$ROOT" "$POOL"
    exec 9>"$STATE_DIR/lock"
    flock -w 300 9 || die "another hosts.sh holds $STATE_DIR/lock"
    install_packages
    hv_binary
    make_keys
    local h
    for h in "${HOSTS[@]}"; do
        ensure_user "$(user_of "$h")"
        write_host_dir "$h"
    done
    for h in "${HOSTS[@]}"; do
        start_host "$h"
    done
}

cmd_down() {
    [[ $EUID -eq 0 ]] || die "must run as root"
    install -d -m 0755 "$STATE_DIR"
    exec 9>"$STATE_DIR/lock"
    flock -w 300 9 || die "another hosts.sh holds $STATE_DIR/lock"
    local h
    for h in "${HOSTS[@]}"; do
        # Guests first, or QEMU processes outlive their libvirtd.
        if [[ -n $(record_get "libvirtd-$h") ]]; then
            local dom
            for dom in $(in_ns "$h" virsh -q -c qemu:///system list --name 2>/dev/null); do
                in_ns "$h" virsh -q -c qemu:///system destroy "$dom" >/dev/null 2>&1 || true
            done
        fi
        stop_host "$h"
    done
    log "down: the two hosts' daemons have exited"
}

cmd_status() {
    local h name pid
    for h in "${HOSTS[@]}"; do
        for name in ns dbus polkitd virtlogd libvirtd hv sshd; do
            pid=$(record_get "$name-$h")
            printf '%-4s %-10s %s\n' "$h" "$name" "${pid:-not running}"
        done
    done
}

cmd_stop_hv() {         # a host's daemon going away, and coming back
    [[ -n ${1:-} ]] || die "usage: $SELF stop-hv HOST"
    stop_recorded "hv-$1"
}

cmd_start_hv() {
    [[ -n ${1:-} ]] || die "usage: $SELF start-hv HOST"
    [[ -n $(record_get "ns-$1") ]] || die "host $1 is not up (run: $SELF up)"
    start_hv "$1"
}

cmd_env() {
    printf 'export HV_MH_HOSTS=%q\n' "a=ssh://hvmha@127.0.0.1:2201 b=ssh://hvmhb@127.0.0.1:2202"
    printf 'export HV_MH_SSH=%q\n' "ssh -F $KEYS/ssh_config"
    printf 'export HV_MH_ROOT=%q\n' "$ROOT"
    printf 'export HV_MH_SCRIPT=%q\n' "$SELF"
    printf 'export HV_MH_POOL=%q\n' "$POOL_NAME"
}

case "${1:-}" in
    up)     cmd_up ;;
    down)   cmd_down ;;
    status) cmd_status ;;
    env)    cmd_env ;;
    exec)   shift; h=${1:?host}; shift; in_ns "$h" "$@" ;;
    stop-hv) shift; cmd_stop_hv "$@" ;;
    start-hv) shift; cmd_start_hv "$@" ;;
    *)      echo "usage: $SELF up | down | status | env | exec HOST CMD... | stop-hv HOST | start-hv HOST" >&2; exit 2 ;;
esac
