#!/usr/bin/env bash
# genhost.sh N FILE [PREFIX]: write a libvirt test-driver host with N VMs
# (about two thirds running, the rest paused or shut off), for benchmarks at
# scale. PREFIX (8 hex digits) starts every UUID, so that two generated
# hosts share none.
set -euo pipefail
n=${1:?usage: genhost.sh N FILE [PREFIX]}
out=${2:?usage: genhost.sh N FILE [PREFIX]}
prefix=${3:-00000000}
{
  echo "<node>"
  for ((i = 0; i < n; i++)); do
    case $((i % 6)) in 0 | 1 | 2 | 3) state=1 ;; 4) state=3 ;; *) state=5 ;; esac
    printf "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>vm-%04d</name><uuid>%s-0000-4000-8000-%012d</uuid><memory unit='MiB'>%d</memory><vcpu>%d</vcpu><os><type>hvm</type></os><test:runstate>%d</test:runstate></domain>\n" \
      "$i" "$prefix" "$i" $((512 * (1 + i % 16))) $((1 + i % 8)) "$state"
  done
  echo "</node>"
} >"$out"
