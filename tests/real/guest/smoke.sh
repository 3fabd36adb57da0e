#!/usr/bin/env bash
# tests/real/guest/smoke.sh: boot the tiny guest ISO on the real daemon and check it end to end.
#
#   tests/real/guest/smoke.sh [-user root|hvop] [-bus sata|ide] [-disk] [-iso PATH] [-uri URI]
#                             [-poweroff] [-v]
#
# As USER (root, or e.g. the operator hvop through runuser, no sudo): define a domain from
# domain-example.xml (named hvtest-guest-smoke-USER-PID), start it paused, attach `virsh console`
# (under script(1), which gives it the tty it needs), resume, wait for the banner and the prompt,
# type a command and read its output back, `virsh shutdown` (ACPI power button) and wait for
# "shut off", undefine. Prints the timings. Always removes the domain, even on failure.
# Needs root (to run as another user and to read the console log); the daemon must be up
# (tests/real/daemon.sh up).

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

USER_=root
BUS=sata
DISK=
ISO=
VERBOSE=
TYPED_POWEROFF=
URI=qemu:///system
while (( $# )); do
    case $1 in
        -user) USER_=$2; shift 2 ;;
        -bus)  BUS=$2; shift 2 ;;
        -disk) DISK=1; shift ;;
        -iso)  ISO=$2; shift 2 ;;
        -uri)  URI=$2; shift 2 ;;
        -poweroff) TYPED_POWEROFF=1; shift ;;   # type `poweroff` instead of virsh shutdown
        -v)    VERBOSE=1; shift ;;               # print the console transcript
        *)     echo "usage: $0 [-user USER] [-bus ide|sata] [-disk] [-iso PATH] [-uri URI] [-poweroff] [-v]" >&2; exit 2 ;;
    esac
done
[[ $EUID -eq 0 ]] || { echo "smoke.sh: run as root" >&2; exit 1; }

BANNER="HV-TINY-GUEST READY"
PROMPT="hv-tiny# "
NAME=hvtest-guest-smoke-$USER_-$$

log() { printf 'smoke: %s\n' "$*" >&2; }
die() { printf 'smoke: FAIL: %s\n' "$*" >&2; [[ -z ${CON:-} ]] || { echo '--- console:' >&2; cat -A "$CON" >&2; }; exit 1; }

now_us() { printf '%s' "${EPOCHREALTIME/./}"; }
secs()   { local d=$(( ($(now_us) - $1) / 10000 )); printf '%d.%02d s' $((d / 100)) $((d % 100)); }

as_user() {
    if [[ $USER_ == root ]]; then "$@"; else runuser -u "$USER_" -- "$@"; fi
}
v() { as_user virsh -q -c "$URI" "$@"; }

WORK=$(mktemp -d /tmp/hvtest-guest-smoke.XXXXXX)
chmod 0755 "$WORK"
CON=
SCRIPT_PID=
cleanup() {
    virsh -q -c "$URI" destroy "$NAME" >/dev/null 2>&1 || true
    virsh -q -c "$URI" undefine "$NAME" >/dev/null 2>&1 || true
    if [[ -n $SCRIPT_PID ]] && kill -0 "$SCRIPT_PID" 2>/dev/null; then
        kill "$SCRIPT_PID" 2>/dev/null || true
    fi
    rm -rf --one-file-system -- "$WORK"
}
trap cleanup EXIT

# until_console SECONDS TEXT: wait until the console log holds TEXT after byte $SEEN, then move
# SEEN past it.
SEEN=0
until_console() {
    local deadline=$(( $(now_us) + $1 * 1000000 )) hit
    while :; do
        hit=$(tail -c +"$((SEEN + 1))" "$CON" | grep -aboF -m1 -- "$2" || true)
        if [[ -n $hit ]]; then
            SEEN=$(( SEEN + ${hit%%:*} + ${#2} ))
            return 0
        fi
        (( $(now_us) < deadline )) || return 1
        sleep 0.02
    done
}

if [[ -z $ISO ]]; then
    t=$(now_us)
    ISO=$("$HERE/build.sh")
    log "build.sh: $ISO ($(secs "$t"))"
fi

# The domain: domain-example.xml with our name, ISO, bus and (optionally) a blank disk.
case $BUS in
    sata) target=sda ;;
    ide)  target=hdc ;;
    *)    die "-bus: sata or ide, not '$BUS'" ;;
esac
sed -e "s|<name>hvtest-guest-example</name>|<name>$NAME</name>|" \
    -e "s|/var/cache/hv-test/tiny-guest.iso|$ISO|" \
    -e "s|<target dev='sda' bus='sata'/>|<target dev='$target' bus='$BUS'/>|" \
    "$HERE/domain-example.xml" >"$WORK/domain.xml"
if [[ -n $DISK ]]; then
    qemu-img create -q -f qcow2 "$WORK/blank.qcow2" 64M
    sed -i -e '/BLANK-DISK/d' -e "s|/var/lib/libvirt/images/hvtest-guest-example.qcow2|$WORK/blank.qcow2|" \
        "$WORK/domain.xml"
fi
chmod 0644 "$WORK/domain.xml"

v define "$WORK/domain.xml" >/dev/null || die "define failed"
t=$(now_us)
v start --paused "$NAME" >/dev/null || die "start --paused failed"
log "$USER_: defined and started paused in $(secs "$t") (cdrom on $BUS${DISK:+, blank qcow2 disk})"

# virsh console wants a tty: script(1) gives it one. Its stdin is a FIFO we keep open for writing.
CON=$WORK/console.log
mkfifo "$WORK/in"
: >"$CON"
exec 7<>"$WORK/in"
as_user script -qfec "virsh -c $URI console --force $NAME" /dev/null <"$WORK/in" >"$CON" 2>&1 &
SCRIPT_PID=$!
until_console 10 "Escape character" || die "virsh console did not connect"

t=$(now_us)
v resume "$NAME" >/dev/null || die "resume failed"
until_console 30 "$BANNER" || die "no '$BANNER' within 30 s of resume"
t_banner=$(secs "$t")
until_console 5 "$PROMPT" || die "no prompt '$PROMPT' after the banner"
t_prompt=$(secs "$t")
log "$USER_: banner '$BANNER' $t_banner after resume, prompt $t_prompt"

t=$(now_us)
# shellcheck disable=SC2016 # expanded by the guest's shell: the echo of the input differs
printf 'echo hv-smoke-$((6*7))-ok\r' >&7
until_console 5 "hv-smoke-42-ok" || die "typed command's output not seen"
until_console 5 "$PROMPT" || die "no prompt after the command"
log "$USER_: typed 'echo hv-smoke-\$((6*7))-ok', read back 'hv-smoke-42-ok' in $(secs "$t")"

t=$(now_us)
if [[ -n $TYPED_POWEROFF ]]; then
    printf 'poweroff\r' >&7
    how="typed poweroff"
else
    v shutdown "$NAME" >/dev/null || die "shutdown failed"
    how="virsh shutdown"
fi
state=
for _ in $(seq 1 200); do
    state=$(v domstate "$NAME" 2>/dev/null || true)
    [[ $state == "shut off" ]] && break
    sleep 0.05
done
[[ $state == "shut off" ]] || die "still '$state' 10 s after $how"
t_off=$(secs "$t")
reason=$(v domstate --reason "$NAME")
if [[ -z $TYPED_POWEROFF ]]; then
    until_console 2 "powering off" || die "the guest did not report the power button"
fi
log "$USER_: $how -> $reason in $t_off"
if [[ -n $VERBOSE ]]; then
    echo '--- console (cat -A):' >&2
    cat -A "$CON" >&2
fi

v undefine "$NAME" >/dev/null || die "undefine failed"
printf 'smoke: ok user=%s bus=%s disk=%s banner=%s prompt=%s %s=%s\n' \
    "$USER_" "$BUS" "${DISK:-no}" "$t_banner" "$t_prompt" "${how// /-}" "$t_off"
