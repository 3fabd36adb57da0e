#!/usr/bin/env bash
# tests/real/guest/build.sh: a tiny bootable guest ISO for hv's real-daemon test tier.
#
#   tests/real/guest/build.sh [OUTPUT.iso]      (default /var/cache/hv-test/tiny-guest.iso)
#
# Prints the ISO's path on stdout (messages go to stderr), so a test can do
#   ISO=$(tests/real/guest/build.sh)
#
# The ISO boots in BIOS mode as a CD-ROM (ISOLINUX, serial console, no key press needed) into
# Debian's cloud kernel with a busybox-static initramfs: a shell on ttyS0 and a clean power-off
# when the ACPI power button is pressed (`virsh shutdown`). See README.md next to this script.
#
# Cached: OUTPUT.stamp records the inputs (this script, the kernel package and version, busybox,
# ISOLINUX, xorriso); while they are unchanged a run only checks them (well under a second).
# The kernel package is downloaded with `apt-get download` into DIR(OUTPUT)/debs and never
# installed. Concurrent runs are serialised with flock on OUTPUT.lock; the ISO is replaced
# atomically. Root is not required if OUTPUT's directory is writable.

set -euo pipefail

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

OUT=${1:-/var/cache/hv-test/tiny-guest.iso}
[[ $OUT == /* ]] || OUT=$PWD/$OUT
OUT_DIR=$(dirname "$OUT")
STAMP=$OUT.stamp
LOCK=$OUT.lock
DEB_DIR=$OUT_DIR/debs

# The metapackage whose dependency names the kernel image package (linux-image-X.Y.Z-N-cloud-amd64).
KERNEL_META=${HV_TINY_GUEST_KERNEL_META:-linux-image-cloud-amd64}
# Kernel modules for the ACPI power button (their dependencies are added from modules.dep).
MODULES=(button evdev)

# What this script needs on the build host (cpio, gzip, apt and dpkg are there on any Debian).
PACKAGES=(busybox-static isolinux syslinux-common xorriso cpio)
BUSYBOX=/bin/busybox
ISOLINUX_BIN=/usr/lib/ISOLINUX/isolinux.bin
ISOHDPFX_BIN=/usr/lib/ISOLINUX/isohdpfx.bin
LDLINUX_C32=/usr/lib/syslinux/modules/bios/ldlinux.c32

# The texts a test waits for on the serial console (also in README.md).
BANNER="HV-TINY-GUEST READY"
PROMPT="hv-tiny# "

log() { printf 'tiny-guest: %s\n' "$*" >&2; }
die() { printf 'tiny-guest: ERROR: %s\n' "$*" >&2; exit 1; }

now_us() { printf '%s' "${EPOCHREALTIME/./}"; }
since()  { local d=$(( ($(now_us) - $1) / 100000 )); printf '%d.%d s' $((d / 10)) $((d % 10)); }

pkg_version() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || printf 'missing'; }
file_sum()    { if [[ -r $1 ]]; then sha256sum "$1" | cut -d' ' -f1; else printf 'missing'; fi; }

# The kernel image package and its candidate version, from the apt lists (no network). One
# apt-cache call (about 0.5 s: Debian's images keep no pkgcache.bin), so only on a cache miss.
KERNEL_PKG=""
KERNEL_VERSION=""
resolve_kernel() {
    local show dep
    show=$(apt-cache show --no-all-versions "$KERNEL_META" 2>/dev/null) || return 1
    # Depends: linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)
    dep=$(sed -n 's/^Depends:.*\(linux-image-[^ ,|]*\) (= \([^)]*\)).*/\1 \2/p' <<<"$show")
    if [[ -n $dep ]]; then
        KERNEL_PKG=${dep% *}
        KERNEL_VERSION=${dep#* }
    else                # a metapackage without an exact version: ask for the candidate
        KERNEL_PKG=$(sed -n 's/^Depends:.*\(linux-image-[^ ,|]*\).*/\1/p' <<<"$show")
        [[ -n $KERNEL_PKG ]] || return 1
        KERNEL_VERSION=$(apt-cache show --no-all-versions "$KERNEL_PKG" 2>/dev/null |
                         sed -n 's/^Version: //p')
    fi
    [[ -n $KERNEL_PKG && -n $KERNEL_VERSION ]]
}

apt_lists() {           # changes whenever apt-get update brings new package lists
    { stat -c '%n %s %Y' /var/lib/apt/lists/*Packages* 2>/dev/null || true; } | sha256sum | cut -d' ' -f1
}

# Everything the ISO is made from, but the kernel: cheap to compute (about 50 ms).
cheap_inputs() {
    printf 'script %s\n' "$(file_sum "$SELF")"
    printf 'busybox-static %s %s\n' "$(pkg_version busybox-static)" "$(file_sum "$BUSYBOX")"
    printf 'isolinux %s %s\n' "$(pkg_version isolinux)" "$(file_sum "$ISOLINUX_BIN")"
    printf 'syslinux-common %s %s\n' "$(pkg_version syslinux-common)" "$(file_sum "$LDLINUX_C32")"
    printf 'xorriso %s\n' "$(pkg_version xorriso)"
    printf 'kernel-meta %s\n' "$KERNEL_META"
}

# The stamp: cheap_inputs, then "apt-lists HASH", then "kernel PKG=VERSION".
stamp_without() { grep -Ev "^($1) " "$STAMP" 2>/dev/null || true; }

# Hit without asking apt: same cheap inputs and the same apt lists, hence the same kernel.
fast_hit() {
    [[ -s $OUT && -f $STAMP ]] &&
        [[ $(stamp_without kernel) == "$(cheap_inputs)"$'\n'"apt-lists $(apt_lists)" ]]
}

# Hit after resolving the kernel: same inputs, apt lists may have changed.
full_hit() { [[ -s $OUT ]] && [[ $(stamp_without apt-lists) == "$(grep -v '^apt-lists ' <<<"$1")" ]]; }

stamp_text() { cheap_inputs; printf 'apt-lists %s\nkernel %s=%s\n' "$(apt_lists)" "$KERNEL_PKG" "$KERNEL_VERSION"; }

write_stamp() {
    printf '%s\n' "$1" >"$STAMP.tmp.$$"
    mv -f "$STAMP.tmp.$$" "$STAMP"
}

check_tools() {
    local missing=() f
    for f in "$BUSYBOX" "$ISOLINUX_BIN" "$ISOHDPFX_BIN" "$LDLINUX_C32"; do
        [[ -r $f ]] || missing+=("$f")
    done
    for f in xorriso cpio gzip apt-get dpkg-deb; do
        command -v "$f" >/dev/null || missing+=("$f")
    done
    (( ${#missing[@]} == 0 )) ||
        die "missing ${missing[*]}; install: apt-get install --no-install-recommends ${PACKAGES[*]}"
    "$BUSYBOX" --list | grep -qx init ||
        die "$BUSYBOX has no init applet; install busybox-static"
}

# ---------------------------------------------------------------------------------------------
# Kernel: download (cached in DEB_DIR) and extract vmlinuz and the modules we need.

fetch_kernel() {        # prints the .deb's path
    local deb="$DEB_DIR/${KERNEL_PKG}_${KERNEL_VERSION//:/%3a}_amd64.deb" t0
    if [[ ! -s $deb ]]; then
        install -d -m 0755 "$DEB_DIR"
        t0=$(now_us)
        local sandbox=()
        [[ $EUID -eq 0 ]] && sandbox=(-o APT::Sandbox::User=root)   # no "_apt cannot write" warning
        ( cd "$DEB_DIR" && apt-get download -q "${sandbox[@]}" "$KERNEL_PKG=$KERNEL_VERSION" ) >&2 ||
            die "apt-get download $KERNEL_PKG=$KERNEL_VERSION failed (is the Debian mirror reachable?)"
        if [[ ! -s $deb ]]; then        # apt may spell the file name differently
            local f
            for f in "$DEB_DIR/${KERNEL_PKG}_"*.deb; do [[ -s $f ]] && deb=$f; done
        fi
        [[ -s $deb ]] || die "apt-get download did not leave ${KERNEL_PKG}_*.deb in $DEB_DIR"
        log "downloaded $(basename "$deb") in $(since "$t0")"
        # Keep only the kernel in use.
        local old
        for old in "$DEB_DIR"/linux-image-*.deb; do
            [[ $old == "$deb" ]] || rm -f -- "$old"
        done
    fi
    printf '%s' "$deb"
}

# ---------------------------------------------------------------------------------------------
# Files inside the guest

write_init() {          # /init: PID 1 until it execs busybox init
    cat <<'EOF'
#!/bin/sh
# hv tiny guest: mount the pseudo file systems, load the power button modules, arm the power
# button, then hand over to busybox init (a shell on ttyS0, see /etc/inittab).
export PATH=/bin HOME=/root
mount -t devtmpfs -o mode=0755 devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts -o gid=5,mode=0620 devpts /dev/pts
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
exec </dev/console >/dev/console 2>&1
hostname hv-tiny-guest
dmesg -n 1                      # keep kernel messages off the console the tests read
for m in $(cat /etc/hv-modules); do
    modprobe "$m" || echo "HV-TINY-GUEST: modprobe $m failed"
done

# The ACPI button driver reports the power button (what `virsh shutdown`, i.e. QEMU's
# system_powerdown, presses) as an input device named "Power Button"; evdev gives it
# /dev/input/eventN. Each one is opened here, before the banner, so that no press is missed;
# a child reads one event from it (struct input_event, 24 bytes) and powers off at once.
buttons=
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    for e in /sys/class/input/event*; do
        [ "$(cat "$e/device/name" 2>/dev/null)" = "Power Button" ] &&
            [ -c "/dev/input/${e##*/}" ] && buttons="$buttons /dev/input/${e##*/}"
    done
    [ -n "$buttons" ] && break
    sleep 0.1
done
for dev in $buttons; do
    exec 3<"$dev"
    (
        dd of=/dev/null bs=24 count=1 2>/dev/null <&3
        echo "HV-TINY-GUEST: ACPI power button pressed, powering off"
        poweroff -f
    ) &
    exec 3<&-
done
[ -n "$buttons" ] ||
    echo "HV-TINY-GUEST: no ACPI power button input device (no <acpi/>?); virsh shutdown will not work"

echo "HV-TINY-GUEST kernel $(uname -r) init at $(cut -d' ' -f1 /proc/uptime) s, power button:${buttons:- none}"
exec /bin/init
EOF
}

write_inittab() {
    cat <<'EOF'
# busybox init: /init already mounted everything. A shell on the serial console, again after exit.
ttyS0::respawn:-/bin/sh
::ctrlaltdel:/bin/poweroff -f
::shutdown:/bin/echo "HV-TINY-GUEST: shutting down"
EOF
}

write_profile() {
    cat <<EOF
export PATH=/bin HOME=/root TERM=vt100
export PS1='$PROMPT'
cd /root
# Without -f, busybox init runs its shutdown sequence (about 2 s of sleeps); nothing to save here.
poweroff() { echo "HV-TINY-GUEST: powering off"; /bin/poweroff -f; }
reboot() { echo "HV-TINY-GUEST: rebooting"; /bin/reboot -f; }
echo "$BANNER (kernel \$(uname -r), \$(cut -d' ' -f1 /proc/uptime) s after boot)"
EOF
}

write_isolinux_cfg() {  # SERIAL must be the first directive; PROMPT 0: boot DEFAULT at once
    cat <<EOF
SERIAL 0 115200
PROMPT 0
TIMEOUT 1
DEFAULT hv
LABEL hv
  LINUX /boot/vmlinuz
  INITRD /boot/initrd.img
  APPEND console=ttyS0,115200 quiet
EOF
}

# ---------------------------------------------------------------------------------------------

build() {               # build WORKDIR
    local work=$1 t0 deb kver root iso m
    t0=$(now_us)
    deb=$(fetch_kernel)

    dpkg-deb -x "$deb" "$work/kernel"
    kver=$(ls -1 "$work/kernel/lib/modules")
    [[ $(wc -l <<<"$kver") == 1 && -n $kver ]] || die "$deb holds no single lib/modules/VERSION"
    [[ -r $work/kernel/boot/vmlinuz-$kver ]] || die "$deb holds no boot/vmlinuz-$kver"
    local kmod=$work/kernel/lib/modules/$kver
    "$BUSYBOX" depmod -b "$work/kernel" "$kver"          # the package ships no modules.dep

    root=$work/root
    install -d -m 0755 "$root"/{bin,dev,etc,lib,proc,sys,run,tmp,root,usr,var}
    ln -s ../bin "$root/usr/bin"
    ln -s ../bin "$root/usr/sbin"
    ln -s bin "$root/sbin"
    install -m 0755 "$BUSYBOX" "$root/bin/busybox"
    for m in $("$BUSYBOX" --list); do
        [[ $m == busybox || -e $root/bin/$m ]] || ln -s busybox "$root/bin/$m"
    done

    # Modules: each wanted one that is not built in, with what modules.dep says it needs.
    local want=() rel deps line
    : >"$root/etc/hv-modules"
    for m in "${MODULES[@]}"; do
        if grep -Eq "/${m}\.ko(\.[a-z]+)?$" "$kmod/modules.builtin"; then
            log "module $m is built into $kver"
            continue
        fi
        line=$(grep -m1 -E "^([^:]*/)?${m}\.ko(\.[a-z]+)?:" "$kmod/modules.dep") ||
            die "module $m is not in $kver"
        rel=${line%%:*}
        read -ra deps <<<"${line#*:}"
        want+=("$rel" "${deps[@]}")
        printf '%s\n' "$m" >>"$root/etc/hv-modules"
    done
    for rel in "${want[@]}"; do
        install -D -m 0644 "$kmod/$rel" "$root/lib/modules/$kver/$rel"
    done
    cp "$kmod/modules.builtin" "$root/lib/modules/$kver/"
    "$BUSYBOX" depmod -b "$root" "$kver"

    write_init          >"$root/init"
    chmod 0755 "$root/init"
    write_inittab       >"$root/etc/inittab"
    write_profile       >"$root/etc/profile"
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\ntty:x:5:\n' >"$root/etc/group"
    printf 'HV-TINY-GUEST kernel %s (%s=%s)\n' "$kver" "$KERNEL_PKG" "$KERNEL_VERSION" >"$root/etc/hv-tiny-guest"
    chmod 0700 "$root/root"

    iso=$work/iso
    install -d -m 0755 "$iso/isolinux" "$iso/boot"
    ( cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet ) |
        gzip -9 -n >"$iso/boot/initrd.img"
    cp "$work/kernel/boot/vmlinuz-$kver" "$iso/boot/vmlinuz"
    cp "$ISOLINUX_BIN" "$LDLINUX_C32" "$iso/isolinux/"
    write_isolinux_cfg >"$iso/isolinux/isolinux.cfg"
    cp "$root/etc/hv-tiny-guest" "$iso/HV-TINY-GUEST"

    if ! xorriso -as mkisofs -quiet -o "$work/out.iso" -V HV_TINY_GUEST -R -J \
            -isohybrid-mbr "$ISOHDPFX_BIN" \
            -b isolinux/isolinux.bin -c isolinux/boot.cat \
            -no-emul-boot -boot-load-size 4 -boot-info-table "$iso" >"$work/xorriso.log" 2>&1; then
        cat "$work/xorriso.log" >&2
        die "xorriso failed (its output above)"
    fi

    install -d -m 0755 "$OUT_DIR"
    chmod 0644 "$work/out.iso"                   # QEMU (root or libvirt-qemu) must read it
    mv -f "$work/out.iso" "$OUT.tmp.$$"
    mv -f "$OUT.tmp.$$" "$OUT"
    log "built $OUT ($(( $(stat -c %s "$OUT") / 1024 )) KiB, kernel $kver, initrd $(( $(stat -c %s "$iso/boot/initrd.img") / 1024 )) KiB) in $(since "$t0")"
}

main() {
    if fast_hit; then
        printf '%s\n' "$OUT"
        return 0
    fi
    if ! resolve_kernel; then
        # No apt lists (offline, before apt-get update): an ISO built by this very script will do.
        if [[ -s $OUT ]] && [[ $(head -n1 "$STAMP" 2>/dev/null) == "script $(file_sum "$SELF")" ]]; then
            log "cannot resolve $KERNEL_META with apt-cache; using the existing $OUT"
            printf '%s\n' "$OUT"
            return 0
        fi
        die "apt-cache cannot resolve $KERNEL_META (run apt-get update first)"
    fi

    install -d -m 0755 "$OUT_DIR"
    exec 9>"$LOCK"
    flock -w 300 9 || die "another build holds $LOCK for over 300 s"
    local stamp
    stamp=$(stamp_text)
    if full_hit "$stamp"; then              # new apt lists, same kernel (or a concurrent build)
        write_stamp "$stamp"
        printf '%s\n' "$OUT"
        return 0
    fi
    check_tools
    local work
    work=$(mktemp -d "${TMPDIR:-/tmp}/hv-tiny-guest.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf --one-file-system -- '$work'" EXIT
    build "$work"
    write_stamp "$stamp"
    printf '%s\n' "$OUT"
}

main
