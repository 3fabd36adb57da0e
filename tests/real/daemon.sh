#!/usr/bin/env bash
# tests/real/daemon.sh: a real libvirtd + QEMU (TCG) system daemon for hv's integration tests.
#
# Brings up, on a Debian 12 machine without systemd (CI runner, container, VM), what a Hyper-NixOS
# host runs: a D-Bus system bus, polkitd, virtlogd, libvirtd serving qemu:///system, and the hv
# daemon (root, the only holder of read-write libvirt) on /run/hv/hv.sock, with hv's polkit
# actions (nix/polkit/org.hyper-nixos.policy) and the rule of our NixOS module
# (nix/polkit/50-hyper-nixos.rules), so that
#   hvop  (member of group hvoperators) manages VMs through the hv daemon, without sudo (every
#                                       org.hyper-nixos.* action), and has read-only libvirt;
#   hvout (not a member)                may only look: read-only libvirt, hv's read action.
# The hv daemon reads the host file /var/lib/hv-test/host.toml (the phase and the approved pool
# roots; tests rewrite it) and writes the audit trail to /var/log/hyper-nixos/audit.log, as on
# NixOS. It is started afresh on every `up`, from $HV_BIN or else built from this checkout.
#
# Usage: tests/real/daemon.sh up | down | status | env | check
#                             | stop-libvirtd | start-libvirtd | restart-libvirtd | restart-hv
#
# Only processes this script started are ever stopped: their PIDs (with start times, so a reused
# PID is never mistaken for ours) are recorded in /run/hv-test/pids. Everything is idempotent.
# Needs root (except `env`). Facts behind the choices: /work/shared/notes/libvirt-here.md.

set -euo pipefail

# Descriptors inherited from the caller (the lock of an outer `flock FILE daemon.sh ...`, a test's
# pipes) must not end up in the daemons started here, which outlive this script and would hold
# them for good. Bash keeps the script itself open on a high descriptor (255), left alone.
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    if ((fd > 2 && fd < 255)); then eval "exec $fd>&-"; fi
done 2>/dev/null

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"

URI=qemu:///system
OPERATOR_GROUP=hvoperators
OPERATOR=hvop
OUTSIDER=hvout

# Not libvirt-daemon-system (systemd units, default network). polkitd still pulls in the systemd
# package through its dependencies; harmless, it does not become PID 1. libvirt 9.0 installs
# firewall rules for every virtual network it starts, even an isolated one without addresses, so
# iptables must be there before libvirtd starts (it sets up its chains once per run).
PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils
          dbus polkitd iptables curl)

LIBVIRTD_CONF="$HERE/libvirtd.conf"
RULES_SRC="$HERE/../../nix/polkit/50-hyper-nixos.rules"   # the NixOS module installs the same file
RULES_DST=/etc/polkit-1/rules.d/50-hyper-nixos.rules
ACTIONS_SRC="$HERE/org.libvirt.unix.policy"
ACTIONS_DST=/usr/share/polkit-1/actions/org.libvirt.unix.policy
HV_ACTIONS_SRC="$HERE/../../nix/polkit/org.hyper-nixos.policy"   # hv's own actions (security/polkit)
HV_ACTIONS_DST=/usr/share/polkit-1/actions/org.hyper-nixos.policy
QEMU_CONF_SRC="$HERE/qemu.conf"
QEMU_CONF_DST=/etc/libvirt/qemu.conf   # libvirtd's system instance reads it from here only
QEMU_CONF_MARK="# hyper-nixos tests/real"

HV_SOCKET=/run/hv/hv.sock                   # the NixOS module's hv.socket
HV_TEST_DIR=/var/lib/hv-test                # pools, media and the host file of the tests
HOST_FILE=$HV_TEST_DIR/host.toml            # the hv daemon's host file ($HV_HOST_FILE)
HV_STATE=$HV_TEST_DIR/state                 # its staged host file and apply result ($HV_STATE_DIR)
HV_BIN_BUILT=$HV_TEST_DIR/bin/hv            # where hv is built when $HV_BIN names none

STATE_DIR=/run/hv-test
PIDS_FILE="$STATE_DIR/pids"
LOCK_FILE="$STATE_DIR/lock"
LOG_DIR=/var/log/hv-test            # stdout/stderr of the daemons we start
LIBVIRTD_LOG=/var/log/libvirt/libvirtd.log

READY_TIMEOUT=${HV_REAL_READY_TIMEOUT:-60}   # seconds to wait for virsh to answer
STOP_TIMEOUT=${HV_REAL_STOP_TIMEOUT:-30}     # seconds to wait for a daemon to exit after SIGTERM

# ---------------------------------------------------------------------------------------------
# Messages

log()  { printf 'hv-test: %s\n' "$*" >&2; }
die()  { printf 'hv-test: ERROR: %s\n' "$*" >&2; exit 1; }

now_us() { printf '%s' "${EPOCHREALTIME/./}"; }           # microseconds since the epoch
since()  { local d=$(( ($(now_us) - $1) / 100000 )); printf '%d.%d s' $((d / 10)) $((d % 10)); }

need_root() {
    [[ $EUID -eq 0 ]] || die "must run as root (try: sudo $SELF ${1:-up})"
}

# Serialise concurrent runs. Every daemon is started with 9>&- so none of them inherits the lock.
take_lock() {
    install -d -m 0755 "$STATE_DIR"
    exec 9>"$LOCK_FILE"
    flock -w 120 9 || die "another daemon.sh holds $LOCK_FILE for over 120 s; is one stuck?"
}

# ---------------------------------------------------------------------------------------------
# Processes. PID 1 here does not reap orphans, so a stopped daemon can stay a zombie: a process
# counts as running only if /proc/PID/stat exists and its state is not Z (zombie) or X (dead).

proc_field() {          # proc_field PID N: field N (3 = state, 22 = start time) of /proc/PID/stat
    local stat f
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }   # drop "pid (comm) ": comm may contain spaces and parentheses
    read -ra f <<<"$stat"
    printf '%s' "${f[$2 - 3]:-}"
}

proc_running() {
    local state
    state=$(proc_field "$1" 3)
    [[ -n $state && $state != Z && $state != X ]]
}

proc_gone() { ! proc_running "$1"; }

proc_comm() { cat "/proc/$1/comm" 2>/dev/null || true; }

find_running() {        # PIDs of running processes whose comm is exactly $1
    local d comm
    for d in /proc/[0-9]*; do
        read -r comm 2>/dev/null <"$d/comm" || continue
        [[ $comm == "$1" ]] && proc_running "${d#/proc/}" && printf '%s\n' "${d#/proc/}"
    done
    return 0
}

# System-wide instances only. Unprivileged users get their own session libvirtd and virtlogd
# (e.g. after `virsh -c qemu:///session`, idle exit after 120 s) and session D-Bus daemons: same
# names, never ours. The system bus runs as messagebus and polkitd as polkitd.
find_system() {
    local pid uid mnt
    mnt=$(readlink /proc/$$/ns/mnt)
    for pid in $(find_running "$1"); do
        # A daemon in another mount namespace (a session's own experiment)
        # serves its own /run, not ours.
        [[ $(readlink "/proc/$pid/ns/mnt" 2>/dev/null) == "$mnt" ]] || continue
        case $1 in
            dbus-daemon) [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *--system* ]] || continue ;;
            polkitd)     ;;
            *)           uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
                         [[ $uid == 0 ]] || continue ;;
        esac
        printf '%s\n' "$pid"
    done
    return 0
}

first_system() {        # the first of find_system (no `| head`: with pipefail, SIGPIPE fails)
    local pids
    pids=$(find_system "$1")
    printf '%s' "${pids%%$'\n'*}"
}

pidfile_pid() {         # pidfile_pid FILE COMM: the PID in FILE if that process runs as COMM
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 0
    pid=${pid//[^0-9]/}
    [[ -n $pid ]] && proc_running "$pid" && [[ $(proc_comm "$pid") == "$2" ]] && printf '%s' "$pid"
    return 0
}

has_pidfile() { [[ -n $(pidfile_pid "$1" "$2") ]]; }

# ---------------------------------------------------------------------------------------------
# The record of what we started: lines "NAME PID STARTTIME" in /run/hv-test/pids.

record_get() {          # PID of NAME if we started it and it still runs
    local name pid start
    [[ -f $PIDS_FILE ]] || return 0
    while read -r name pid start; do
        [[ $name == "$1" ]] || continue
        if proc_running "$pid" && [[ $(proc_field "$pid" 22) == "$start" ]]; then
            printf '%s' "$pid"
        fi
        return 0
    done <"$PIDS_FILE"
}

record_drop() {
    [[ -f $PIDS_FILE ]] || return 0
    local tmp="$PIDS_FILE.tmp"
    awk -v n="$1" '$1 != n' "$PIDS_FILE" >"$tmp"
    mv -f "$tmp" "$PIDS_FILE"
}

record_set() {          # record_set NAME PID
    record_drop "$1"
    printf '%s %s %s\n' "$1" "$2" "$(proc_field "$2" 22)" >>"$PIDS_FILE"
}

wait_for() {            # wait_for SECONDS DESCRIPTION COMMAND...: poll every 0.1 s
    local secs=$1 what=$2 deadline
    shift 2
    deadline=$(( $(now_us) + secs * 1000000 ))
    until "$@"; do
        (( $(now_us) < deadline )) || { log "timed out after ${secs} s waiting for $what"; return 1; }
        sleep 0.1
    done
}

# Stop a daemon we recorded: SIGTERM, wait until it is gone (or a zombie), SIGKILL as last resort.
stop_recorded() {
    local name=$1 pid others
    pid=$(record_get "$name")
    if [[ -z $pid ]]; then
        record_drop "$name"
        others=$(find_system "$name" | tr '\n' ' ')
        if [[ -n $others ]]; then
            log "$name: running as pid ${others% } but not started by daemon.sh; left alone"
        else
            log "$name: not running"
        fi
        return 0
    fi
    log "$name: stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_for "$STOP_TIMEOUT" "$name (pid $pid) to exit" proc_gone "$pid"; then
        log "$name: sending SIGKILL to pid $pid"
        kill -KILL "$pid" 2>/dev/null || true
        wait_for 10 "$name (pid $pid) to die" proc_gone "$pid" ||
            die "$name (pid $pid) survives SIGKILL; look at /proc/$pid/status"
    fi
    record_drop "$name"
}

# ---------------------------------------------------------------------------------------------
# Files

install_file() {        # install_file SRC DST: copy (0644 root) unless identical
    [[ -r $1 ]] || die "$1 is missing; it belongs next to daemon.sh"
    if cmp -s "$1" "$2"; then
        return 0
    fi
    install -m 0644 -o root -g root "$1" "$2"
    log "installed $2"
}

# ---------------------------------------------------------------------------------------------
# Step 1: packages

# One file per package that must be there; a missing one means "install".
REQUIRED_FILES=(/usr/sbin/libvirtd /usr/sbin/virtlogd /usr/bin/virsh /usr/bin/qemu-system-x86_64
                /usr/bin/qemu-img /usr/bin/dbus-daemon /usr/bin/dbus-send /usr/lib/polkit-1/polkitd
                /usr/sbin/iptables /usr/bin/curl)

qemu_driver_present() {
    compgen -G '/usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so' >/dev/null
}

install_packages() {
    local f missing=()
    for f in "${REQUIRED_FILES[@]}"; do
        [[ -x $f ]] || missing+=("$f")
    done
    qemu_driver_present || missing+=("libvirt_driver_qemu.so")
    if (( ${#missing[@]} == 0 )); then
        log "packages: already installed"
        return 0
    fi
    log "packages: missing ${missing[*]}; installing ${PACKAGES[*]} (10-20 s)"
    # Without an init system, maintainer scripts would start dbus through invoke-rc.d (a daemon
    # that is then not ours). A temporary policy-rc.d (exit 101 = "do not start") stops that.
    local made_policy=
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        made_policy=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    local ok=1 t0 apt_log="$LOG_DIR/apt.log"
    t0=$(now_us)
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
    } >>"$apt_log" 2>&1 || ok=
    if [[ -n $made_policy ]]; then
        rm -f /usr/sbin/policy-rc.d
        trap - EXIT
    fi
    if [[ -z $ok ]]; then
        tail -n 30 "$apt_log" >&2
        die "apt-get could not install ${PACKAGES[*]} (last lines above, all in $apt_log); \
check the apt sources and the network, then rerun"
    fi
    log "packages: installed in $(since "$t0") (apt output in $apt_log)"
    for f in "${REQUIRED_FILES[@]}"; do
        [[ -x $f ]] || die "$f is still missing after installing ${PACKAGES[*]}"
    done
    qemu_driver_present || die "libvirt's QEMU driver is still missing after the install"
}

# ---------------------------------------------------------------------------------------------
# Step 2: what libvirtd needs before it starts (normally done by libvirt-daemon-system)

prepare_libvirt() {
    # Looked up by libvirtd before qemu.conf is read (Debian's default QEMU user), even if unused.
    getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
    if ! id -u libvirt-qemu >/dev/null 2>&1; then
        useradd --system --gid libvirt-qemu --home-dir /var/lib/libvirt --no-create-home \
            --shell /usr/sbin/nologin --comment "Libvirt Qemu" libvirt-qemu
    fi
    if getent group kvm >/dev/null && ! in_group libvirt-qemu kvm; then
        usermod -aG kvm libvirt-qemu
    fi
    install -d -m 0755 /var/log/libvirt /var/lib/libvirt /var/cache/libvirt /run/libvirt "$LOG_DIR"
    install_qemu_conf
    log "libvirt: user libvirt-qemu, directories and qemu.conf ready"
}

# QEMU runs as root (tests/real/qemu.conf says why). A qemu.conf someone else wrote is kept.
install_qemu_conf() {
    install -d -m 0755 "$(dirname "$QEMU_CONF_DST")"
    cmp -s "$QEMU_CONF_SRC" "$QEMU_CONF_DST" && return 0
    if [[ -e $QEMU_CONF_DST && $(head -n1 "$QEMU_CONF_DST") != "$QEMU_CONF_MARK"* ]]; then
        log "libvirt: WARNING: $QEMU_CONF_DST was not written by daemon.sh; kept as it is \
(if every 'virsh define' takes ~40 s, see $QEMU_CONF_SRC)"
        return 0
    fi
    install_file "$QEMU_CONF_SRC" "$QEMU_CONF_DST"
    [[ -z $(libvirtd_pid) ]] ||
        log "libvirt: qemu.conf changed while libvirtd runs; it applies after: $SELF restart-libvirtd"
}

# ---------------------------------------------------------------------------------------------
# Step 3: the operator (in the operators' group) and the outsider (not in it)

in_group() { [[ " $(id -nG "$1" 2>/dev/null) " == *" $2 "* ]]; }  # no pipe: pipefail + grep -q = SIGPIPE

ensure_user() {         # ensure_user NAME: a login user with a home and bash
    if ! id -u "$1" >/dev/null 2>&1; then
        useradd --create-home --shell /bin/bash "$1"
    fi
    [[ $(getent passwd "$1" | cut -d: -f7) == /bin/bash ]] || usermod --shell /bin/bash "$1"
    local home
    home=$(getent passwd "$1" | cut -d: -f6)
    [[ -d $home ]] || install -d -m 0750 -o "$1" -g "$(id -gn "$1")" "$home"
}

ensure_users() {
    getent group "$OPERATOR_GROUP" >/dev/null || groupadd "$OPERATOR_GROUP"
    ensure_user "$OPERATOR"
    in_group "$OPERATOR" "$OPERATOR_GROUP" || usermod -aG "$OPERATOR_GROUP" "$OPERATOR"
    ensure_user "$OUTSIDER"
    if in_group "$OUTSIDER" "$OPERATOR_GROUP"; then
        gpasswd -d "$OUTSIDER" "$OPERATOR_GROUP" >/dev/null
    fi
    log "users: $OPERATOR in $OPERATOR_GROUP, $OUTSIDER outside it"
}

# ---------------------------------------------------------------------------------------------
# Step 4: polkit action definitions and our rule

install_polkit_files() {
    install -d -m 0755 "$(dirname "$ACTIONS_DST")"
    # A copy shipped by libvirt-daemon-system (same actions) wins over ours.
    if [[ -e $ACTIONS_DST ]] && dpkg-query -S "$ACTIONS_DST" >/dev/null 2>&1; then
        log "polkit: $ACTIONS_DST comes from a package; kept"
    else
        install_file "$ACTIONS_SRC" "$ACTIONS_DST"
    fi
    install_file "$HV_ACTIONS_SRC" "$HV_ACTIONS_DST"
    # polkitd reads rules as user polkitd; its package makes this directory 0700 polkitd.
    [[ -d $(dirname "$RULES_DST") ]] || install -d -m 0700 -o polkitd -g root "$(dirname "$RULES_DST")"
    install_file "$RULES_SRC" "$RULES_DST"
    log "polkit: org.hyper-nixos.* and org.libvirt.unix.manage for group $OPERATOR_GROUP, reading for everyone"
}

# ---------------------------------------------------------------------------------------------
# Step 5: the daemons

bus_answers() {
    dbus-send --system --print-reply --reply-timeout=2000 --dest=org.freedesktop.DBus \
        /org/freedesktop/DBus org.freedesktop.DBus.GetId >/dev/null 2>&1
}

polkit_on_bus() { [[ -n $(bus_name_pid org.freedesktop.PolicyKit1) ]]; }

bus_name_pid() {        # PID owning a well-known name on the system bus, or nothing
    dbus-send --system --print-reply=literal --reply-timeout=2000 --dest=org.freedesktop.DBus \
        /org/freedesktop/DBus org.freedesktop.DBus.GetConnectionUnixProcessID "string:$1" \
        2>/dev/null | awk '{print $2}' || true     # no owner: print nothing
}

start_dbus() {
    local pid
    if pid=$(record_get dbus-daemon) && [[ -n $pid ]]; then
        log "dbus-daemon: already running (pid $pid, ours)"
        return 0
    fi
    if bus_answers; then
        log "dbus-daemon: a system bus already answers (not started by daemon.sh); using it"
        return 0
    fi
    rm -f /run/dbus/pid             # stale after an unclean stop; dbus-daemon refuses to start
    install -d -m 0755 /run/dbus
    dbus-uuidgen --ensure           # fresh images may lack a machine id
    dbus-daemon --system --fork </dev/null >>"$LOG_DIR/dbus-daemon.log" 2>&1 9>&- ||
        die "dbus-daemon --system --fork failed; see $LOG_DIR/dbus-daemon.log"
    wait_for 10 "the D-Bus system bus to answer" bus_answers ||
        die "dbus-daemon started but the system bus does not answer; see $LOG_DIR/dbus-daemon.log"
    pid=$(pidfile_pid /run/dbus/pid dbus-daemon)
    [[ -n $pid ]] || die "dbus-daemon runs but /run/dbus/pid names no running dbus-daemon"
    record_set dbus-daemon "$pid"
    log "dbus-daemon: started (pid $pid)"
}

start_polkitd() {
    local pid
    if pid=$(record_get polkitd) && [[ -n $pid ]]; then
        log "polkitd: already running (pid $pid, ours)"
        return 0
    fi
    pid=$(bus_name_pid org.freedesktop.PolicyKit1)
    if [[ -n $pid ]]; then
        log "polkitd: already on the bus (pid $pid, not started by daemon.sh); using it"
        return 0
    fi
    # D-Bus activation first (dbus-daemon-launch-helper runs the Exec= line of the service file),
    # starting it by hand if that fails.
    local how="D-Bus activation"
    if ! dbus-send --system --print-reply --reply-timeout=10000 --dest=org.freedesktop.DBus \
            /org/freedesktop/DBus org.freedesktop.DBus.StartServiceByName \
            string:org.freedesktop.PolicyKit1 uint32:0 >>"$LOG_DIR/polkitd.log" 2>&1; then
        how="started by hand"
        setsid /usr/lib/polkit-1/polkitd --no-debug </dev/null >>"$LOG_DIR/polkitd.log" 2>&1 9>&- &
    fi
    wait_for 15 "polkitd to own org.freedesktop.PolicyKit1" \
        polkit_on_bus ||
        die "polkitd did not come up ($how); see $LOG_DIR/polkitd.log"
    pid=$(bus_name_pid org.freedesktop.PolicyKit1)
    record_set polkitd "$pid"
    log "polkitd: started (pid $pid, $how)"
}

start_virtlogd() {
    local pid
    if pid=$(record_get virtlogd) && [[ -n $pid ]]; then
        log "virtlogd: already running (pid $pid, ours)"
        return 0
    fi
    pid=$(pidfile_pid /run/virtlogd.pid virtlogd)
    [[ -n $pid ]] || pid=$(first_system virtlogd)
    if [[ -n $pid ]]; then
        log "virtlogd: already running (pid $pid, not started by daemon.sh); using it"
        return 0
    fi
    virtlogd -d </dev/null >>"$LOG_DIR/virtlogd.log" 2>&1 9>&- ||
        die "virtlogd -d failed; see $LOG_DIR/virtlogd.log"
    wait_for 10 "virtlogd to write /run/virtlogd.pid" \
        has_pidfile /run/virtlogd.pid virtlogd ||
        die "virtlogd started but /run/virtlogd.pid names no running virtlogd"
    pid=$(pidfile_pid /run/virtlogd.pid virtlogd)
    record_set virtlogd "$pid"
    log "virtlogd: started (pid $pid)"
}

first_cpu() {           # the first CPU this script may run on ("0-1" -> 0, "2,5" -> 2)
    local list
    list=$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status)
    printf '%s' "${list%%[,-]*}"
}

libvirtd_pid() {        # the running libvirtd, ours or not
    local pid
    pid=$(pidfile_pid /run/libvirtd.pid libvirtd)
    [[ -n $pid ]] || pid=$(first_system libvirtd)
    printf '%s' "$pid"
}

start_libvirtd() {
    local pid
    if pid=$(record_get libvirtd) && [[ -n $pid ]]; then
        log "libvirtd: already running (pid $pid, ours)"
        return 0
    fi
    pid=$(libvirtd_pid)
    if [[ -n $pid ]]; then
        log "libvirtd: already running (pid $pid, not started by daemon.sh); using it"
        [[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == *"$LIBVIRTD_CONF"* ]] ||
            log "libvirtd: WARNING: pid $pid was not started with $LIBVIRTD_CONF; access rules may differ"
        return 0
    fi
    bus_answers || die "the D-Bus system bus is down; libvirtd needs it for polkit (run: $SELF up)"
    [[ -r $LIBVIRTD_CONF ]] || die "$LIBVIRTD_CONF is missing; it belongs next to daemon.sh"
    # Pin libvirtd (not its guests: libvirt gives each QEMU all host CPUs) to one CPU. On VMs
    # whose vCPUs report different CPUID data (measured here: APIC ids), libvirt 9.0 otherwise
    # sees "host cpuid changed" whenever it starts on another CPU than last time, and re-probes
    # QEMU: ~7.5 s instead of ~0.1 s on every other start.
    local pin=() cpu
    cpu=$(first_cpu)
    [[ -n $cpu ]] && command -v taskset >/dev/null && pin=(taskset -c "$cpu")
    # -d returns only once the daemon has initialised, with its exit status.
    if ! "${pin[@]}" libvirtd -d -f "$LIBVIRTD_CONF" </dev/null >>"$LOG_DIR/libvirtd.log" 2>&1 9>&-; then
        tail -n 20 "$LIBVIRTD_LOG" "$LOG_DIR/libvirtd.log" >&2 2>/dev/null || true
        die "libvirtd -d -f $LIBVIRTD_CONF failed; the log lines above say why"
    fi
    wait_for 10 "libvirtd to write /run/libvirtd.pid" \
        has_pidfile /run/libvirtd.pid libvirtd ||
        die "libvirtd started but /run/libvirtd.pid names no running libvirtd; see $LIBVIRTD_LOG"
    pid=$(pidfile_pid /run/libvirtd.pid libvirtd)
    record_set libvirtd "$pid"
    log "libvirtd: started (pid $pid, config $LIBVIRTD_CONF)"
}

# ---------------------------------------------------------------------------------------------
# Step 7: the hv daemon, as the NixOS module runs it (root; it asks polkit for every request)

hv_binary() {           # the hv to run: $HV_BIN, else built from this checkout into $HV_BIN_BUILT
    if [[ -n ${HV_BIN:-} ]]; then
        [[ -x $HV_BIN ]] || die "HV_BIN=$HV_BIN is not an executable"
        printf '%s' "$HV_BIN"
        return 0
    fi
    command -v go >/dev/null || PATH=/usr/local/go/bin:$PATH
    command -v go >/dev/null || die "no hv to run: set HV_BIN, or install Go to build it"
    install -d -m 0755 "$(dirname "$HV_BIN_BUILT")"
    (cd "$HERE/../.." && go build -o "$HV_BIN_BUILT.new" ./cmd/hv) >&2 || die "building hv failed"
    mv -f "$HV_BIN_BUILT.new" "$HV_BIN_BUILT"
    printf '%s' "$HV_BIN_BUILT"
}

# The host file of the tests: the setup phase, pools approved under /var/lib/hv-test and the
# guest's cache. Tests change the phase by rewriting it; `up` writes it afresh.
write_host_file() {
    install -d -m 0755 "$HV_TEST_DIR" "$HV_TEST_DIR/images" "$HV_STATE"
    cat >"$HOST_FILE.new" <<HOST
# The host file of hv's real test tier (tests/real/daemon.sh).
version = 1
phase = "setup"
features = []

[operators]
group = "$OPERATOR_GROUP"
users = ["$OPERATOR"]

[storage]
images_dir = "$HV_TEST_DIR/images"
pool_roots = ["$HV_TEST_DIR", "/var/cache/hv-test"]
HOST
    chmod 0644 "$HOST_FILE.new"
    mv -f "$HOST_FILE.new" "$HOST_FILE"
}

hv_answers() { [[ -S $HV_SOCKET ]] && curl -sf --unix-socket "$HV_SOCKET" http://hv/v1/whoami >/dev/null 2>&1; }

start_hv() {
    local bin pid
    stop_recorded hv
    bin=$(hv_binary)
    write_host_file
    # As the NixOS module lays them out (nix/daemon.nix): the staging directory readable by the
    # operators (their hv builds the next change from it), written by the daemon alone.
    install -d -m 0755 "$(dirname "$HV_SOCKET")" /var/lib/hyper-nixos
    install -d -m 0700 /var/log/hyper-nixos
    install -d -m 2750 -o root -g "$OPERATOR_GROUP" "$HV_STATE/staged"
    [[ -e $HV_STATE/staged/host.toml.lock ]] || install -m 0600 /dev/null "$HV_STATE/staged/host.toml.lock"
    rm -f "$HV_SOCKET"
    # Socket activation, as hv.socket does it: systemd-socket-activate (from the systemd package
    # polkitd pulls in) listens on the socket, every local user may connect (umask 0, as the
    # unit's SocketMode), and the daemon starts on the first connection with the socket passed
    # as LISTEN_FDS. Without it, the daemon listens itself.
    local how=(--listen "$HV_SOCKET")
    command -v systemd-socket-activate >/dev/null && how=()
    (
        umask 0
        export HV_HOST_FILE=$HOST_FILE HV_STATE_DIR=$HV_STATE LIBVIRT_DEFAULT_URI=$URI
        if ((${#how[@]})); then
            exec setsid "$bin" daemon "${how[@]}"
        fi
        exec setsid systemd-socket-activate -E HV_HOST_FILE -E HV_STATE_DIR -E LIBVIRT_DEFAULT_URI \
            -l "$HV_SOCKET" "$bin" daemon
    ) </dev/null >>"$LOG_DIR/hv-daemon.log" 2>&1 9>&- &
    pid=$!
    wait_for 10 "$HV_SOCKET to appear" test -S "$HV_SOCKET" || die "no socket at $HV_SOCKET; see $LOG_DIR/hv-daemon.log"
    chmod 0666 "$HV_SOCKET"     # hv.socket's SocketMode
    wait_for 30 "the hv daemon to answer on $HV_SOCKET" hv_answers ||
        { tail -n 20 "$LOG_DIR/hv-daemon.log" >&2; die "the hv daemon does not answer; see $LOG_DIR/hv-daemon.log"; }
    record_set hv "$pid"
    log "hv daemon: started (pid $pid, $bin, host file $HOST_FILE)"
}

# ---------------------------------------------------------------------------------------------
# Step 6: wait until qemu:///system answers

virsh_answers() { virsh -c "$URI" version >/dev/null 2>&1; }

wait_ready() {
    local t0
    t0=$(now_us)
    if ! wait_for "$READY_TIMEOUT" "virsh -c $URI version" virsh_answers; then
        virsh -c "$URI" version >&2 || true
        tail -n 20 "$LIBVIRTD_LOG" >&2 2>/dev/null || true
        die "libvirtd does not answer on $URI after ${READY_TIMEOUT} s (error and log above; \
full log $LIBVIRTD_LOG). Try: $SELF restart-libvirtd"
    fi
    log "libvirtd: answers on $URI (waited $(since "$t0"))"
}

# ---------------------------------------------------------------------------------------------
# Subcommands

cmd_up() {
    local t0
    t0=$(now_us)
    need_root up
    take_lock
    install -d -m 0755 "$LOG_DIR"
    install_packages
    prepare_libvirt
    ensure_users
    install_polkit_files
    start_dbus          # before libvirtd: it asks polkit over the system bus
    start_polkitd
    start_virtlogd      # before any VM starts: QEMU's output goes through it
    start_libvirtd
    wait_ready
    start_hv            # after libvirtd: the daemon connects at start
    printf 'hv-test: up: libvirtd ready on %s, hv daemon on %s, in %s\n' "$URI" "$HV_SOCKET" "$(since "$t0")"
}

warn_running_guests() {
    local guests
    guests=$(find_running qemu-system-x86 | tr '\n' ' ')
    [[ -z $guests ]] ||
        log "note: QEMU guests still run (pids ${guests% }); libvirtd reattaches them when it starts again"
}

cmd_down() {
    need_root down
    take_lock
    warn_running_guests
    local name
    for name in hv libvirtd virtlogd polkitd dbus-daemon; do
        stop_recorded "$name"
    done
    log "down: every daemon started by daemon.sh has exited"
}

cmd_stop_libvirtd() {
    need_root stop-libvirtd
    take_lock
    local pid
    pid=$(libvirtd_pid)
    if [[ -n $pid && -z $(record_get libvirtd) ]]; then
        die "libvirtd (pid $pid) was not started by daemon.sh; refusing to stop it"
    fi
    stop_recorded libvirtd
}

cmd_start_libvirtd() {
    need_root start-libvirtd
    take_lock
    [[ -n $(pidfile_pid /run/virtlogd.pid virtlogd)$(find_system virtlogd) ]] ||
        die "virtlogd is not running; run: $SELF up"
    start_libvirtd
    wait_ready
}

cmd_restart_libvirtd() {
    local t0
    t0=$(now_us)
    cmd_stop_libvirtd
    cmd_start_libvirtd
    printf 'hv-test: restart-libvirtd: libvirtd ready again in %s\n' "$(since "$t0")"
}

status_line() {         # status_line NAME PID
    local ours=""
    [[ -n $2 && $(record_get "$1") == "$2" ]] && ours=", started by daemon.sh"
    if [[ -n $2 ]]; then
        printf '%-12s running (pid %s%s)\n' "$1" "$2" "$ours"
    else
        printf '%-12s not running\n' "$1"
    fi
}

cmd_status() {
    need_root status
    local ok=0 pid sock
    pid=$(pidfile_pid /run/dbus/pid dbus-daemon)
    [[ -n $pid ]] || pid=$(first_system dbus-daemon)
    status_line dbus-daemon "$pid"; [[ -n $pid ]] || ok=3
    pid=""; bus_answers && pid=$(bus_name_pid org.freedesktop.PolicyKit1)
    [[ -n $pid ]] || pid=$(first_system polkitd)
    status_line polkitd "$pid"; [[ -n $pid ]] || ok=3
    pid=$(pidfile_pid /run/virtlogd.pid virtlogd)
    [[ -n $pid ]] || pid=$(first_system virtlogd)
    status_line virtlogd "$pid"; [[ -n $pid ]] || ok=3
    pid=$(libvirtd_pid)
    status_line libvirtd "$pid"; [[ -n $pid ]] || ok=3
    for sock in /run/libvirt/libvirt-sock /run/libvirt/libvirt-sock-ro; do
        [[ -S $sock ]] && printf '%-12s %s\n' socket "$(stat -c '%A %U:%G %n' "$sock")"
    done
    if virsh_answers; then
        printf '%-12s answers on %s\n' virsh "$URI"
    else
        printf '%-12s no answer on %s\n' virsh "$URI"; ok=3
    fi
    local guests
    guests=$(find_running qemu-system-x86 | tr '\n' ' ')
    [[ -z $guests ]] || printf '%-12s %s\n' guests "QEMU pids ${guests% }"
    return "$ok"
}

cmd_restart_hv() {
    need_root restart-hv
    take_lock
    start_hv
}

cmd_env() {
    printf 'export HV_REAL_URI=%q\n' "$URI"
    printf 'export HV_REAL_SOCKET=%q\n' "$HV_SOCKET"
    printf 'export HV_REAL_HOST_FILE=%q\n' "$HOST_FILE"
    printf 'export HV_REAL_OPERATOR=%q\n' "$OPERATOR"
    printf 'export HV_REAL_OUTSIDER=%q\n' "$OUTSIDER"
    printf 'export HV_REAL_DAEMON=%q\n' "$SELF"
}

# ---------------------------------------------------------------------------------------------
# check: a smoke test of the whole setup (root, operator and outsider), leaving nothing behind.

smoke_xml() {           # a tiny TCG guest: no disk, a tap for net counters, a serial console
    cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <interface type='ethernet'><rom enabled='no'/><model type='virtio'/></interface>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
  </devices>
</domain>
EOF
}

as_user() {             # as_user USER|root ARGS...: virsh as that user, no sudo
    local who=$1
    shift
    if [[ $who == root ]]; then
        virsh -q "$@"
    else
        runuser -u "$who" -- virsh -q "$@"
    fi
}

SMOKE_NAMES=(hv-smoke-root "hv-smoke-$OPERATOR" hv-smoke-ro)
SMOKE_XML=""

smoke_cleanup() {       # on any exit of `check`: no test domain or temp file stays behind
    local name
    for name in "${SMOKE_NAMES[@]}"; do
        virsh -q -c "$URI" destroy "$name" >/dev/null 2>&1 || true
        virsh -q -c "$URI" undefine "$name" >/dev/null 2>&1 || true
    done
    [[ -z $SMOKE_XML ]] || rm -f "$SMOKE_XML"
}

smoke_define() {        # smoke_define USER NAME: define the tiny guest as USER
    SMOKE_XML=$(mktemp /tmp/hv-smoke.XXXXXX.xml)
    smoke_xml "$2" >"$SMOKE_XML"
    chmod 0644 "$SMOKE_XML"             # readable by the operator's virsh
    as_user "$1" -c "$URI" define "$SMOKE_XML" >/dev/null || die "$1: define $2 failed"
    rm -f "$SMOKE_XML"
}

cpu_time() { as_user "$1" -c "$URI" domstats --cpu-total "$2" | awk -F= '/cpu.time=/ {print $2}' || true; }

smoke_lifecycle() {     # smoke_lifecycle USER: define .. undefine, failing loudly
    local who=$1 name="hv-smoke-$1" c1 c2 state
    smoke_define "$who" "$name"
    as_user "$who" -c "$URI" start "$name" >/dev/null || die "$who: start failed"
    # A guest without an OS soon idles in the BIOS: give cpu.time up to 5 s to move.
    c1=$(cpu_time "$who" "$name")
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        sleep 0.5
        c2=$(cpu_time "$who" "$name")
        [[ -n $c1 && -n $c2 && $c2 -gt $c1 ]] && break
    done
    [[ -n $c1 && -n $c2 && $c2 -gt $c1 ]] || die "$who: cpu.time does not grow ($c1 -> $c2)"
    [[ $(as_user "$who" -c "$URI" domstats "$name") == *net.0.rx.bytes=* ]] ||
        die "$who: domstats has no net counters"
    as_user "$who" -c "$URI" suspend "$name" >/dev/null || die "$who: suspend failed"
    state=$(as_user "$who" -c "$URI" domstate "$name") || die "$who: domstate failed"
    [[ $state == paused ]] || die "$who: state after suspend is '$state'"
    as_user "$who" -c "$URI" resume "$name" >/dev/null || die "$who: resume failed"
    as_user "$who" -c "$URI" destroy "$name" >/dev/null || die "$who: destroy failed"
    as_user "$who" -c "$URI" undefine "$name" >/dev/null || die "$who: undefine failed"
    printf 'hv-test: check: %-6s define/start/domstats (cpu.time %s -> %s ns)/suspend/resume/destroy/undefine ok\n' \
        "$who" "$c1" "$c2"
}

last_error() { grep error <<<"$1" | tail -n1 || true; }

smoke_outsider() {
    local name=hv-smoke-ro out
    smoke_define root "$name"
    if out=$(as_user "$OUTSIDER" -c "$URI" list --all 2>&1); then
        die "$OUTSIDER got a read-write connection; polkit should have refused it"
    fi
    printf 'hv-test: check: %-6s read-write refused: %s\n' "$OUTSIDER" "$(last_error "$out")"
    out=$(as_user "$OUTSIDER" -r -c "$URI" list --all 2>&1) || die "$OUTSIDER: read-only list failed: $out"
    [[ $out == *"$name"* ]] || die "$OUTSIDER: read-only list misses $name"
    printf 'hv-test: check: %-6s read-only list ok\n' "$OUTSIDER"
    if out=$(as_user "$OUTSIDER" -r -c "$URI" start "$name" 2>&1); then
        die "$OUTSIDER started a domain over a read-only connection"
    fi
    printf 'hv-test: check: %-6s start over read-only refused: %s\n' "$OUTSIDER" "$(last_error "$out")"
}

cmd_check() {
    need_root check
    virsh_answers || die "libvirtd does not answer on $URI; run: $SELF up"
    trap smoke_cleanup EXIT
    smoke_cleanup                       # leftovers of an interrupted run
    smoke_lifecycle root
    smoke_lifecycle "$OPERATOR"
    smoke_outsider
    printf 'hv-test: check: all passed\n'
}

usage() {
    cat >&2 <<EOF
usage: $SELF COMMAND
  up                install what is missing, start dbus, polkitd, virtlogd, libvirtd; wait for $URI
  down              stop the daemons this script started (recorded in $PIDS_FILE)
  status            show what runs (exit 3 if something is missing)
  env               print export lines for the test suite
  check             smoke test: lifecycle as root and $OPERATOR, read-only for $OUTSIDER
  stop-libvirtd     stop our libvirtd only
  start-libvirtd    start libvirtd again and wait until it answers
  restart-libvirtd  both
  restart-hv        start the hv daemon afresh (\$HV_BIN, or built from this checkout)
EOF
    exit 2
}

main() {
    case "${1:-}" in
        up)               cmd_up ;;
        down)             cmd_down ;;
        status)           cmd_status ;;
        env)              cmd_env ;;
        check)            cmd_check ;;
        stop-libvirtd)    cmd_stop_libvirtd ;;
        start-libvirtd)   cmd_start_libvirtd ;;
        restart-libvirtd) cmd_restart_libvirtd ;;
        restart-hv)       cmd_restart_hv ;;
        *)                usage ;;
    esac
}

main "$@"
