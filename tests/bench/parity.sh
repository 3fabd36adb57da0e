#!/usr/bin/env bash
# Parity and speed of hv's log rules against fail2ban's sshd filter.
#
#   tests/bench/parity.sh [LINES]      (default 1000000)
#
# Installs Debian's fail2ban if fail2ban-regex is missing, writes a
# deterministic auth.log (tests/bench/authlog), runs
# 'fail2ban-regex -o ip FILE sshd' and 'hv threats scan FILE --json',
# compares per-address failure counts (tests/bench/parity), then times
# both on one core (taskset + GOMAXPROCS=1) and prints lines per second,
# the ratio to fail2ban, and hv's peak memory. Timings are the best of
# three runs: these machines are noisy. Output goes to tests/bench/out/.
set -euo pipefail

lines=${1:-1000000}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/tests/bench/out
mkdir -p "$out"
cd "$root"

if ! command -v fail2ban-regex >/dev/null; then
	echo "== installing fail2ban (Debian package)"
	if [ "$(id -u)" -ne 0 ]; then
		echo "fail2ban-regex is missing and installing it needs root: apt-get install fail2ban" >&2
		exit 1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fail2ban >/dev/null
fi
command -v taskset >/dev/null || { echo "taskset (util-linux) is needed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (package time) is needed" >&2; exit 1; }

echo "== building"
go build -o "$out/hv" ./cmd/hv
go build -o "$out/authlog" ./tests/bench/authlog
go build -o "$out/parity" ./tests/bench/parity

log=$out/auth.log
echo "== writing $lines lines"
"$out/authlog" -n "$lines" -o "$log" -expect "$out/expect.tsv"
echo "   $(du -h "$log" | cut -f1) in $log; fail2ban $(fail2ban-regex --version 2>/dev/null | head -1)"

one() { GOMAXPROCS=1 taskset -c 0 "$@"; }

# best_of3 CMD... : runs CMD three times on one core, prints the best wall
# time in seconds and the peak RSS (KiB) of that run. Wall time includes
# starting the process and compiling the rules.
best_of3() {
	local best="" rss=""
	for _ in 1 2 3; do
		/usr/bin/time -f "%e %M" -o "$out/time.txt" env GOMAXPROCS=1 taskset -c 0 "$@" >/dev/null 2>>"$out/stderr.txt"
		read -r t m <"$out/time.txt"
		if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t rss=$m; fi
	done
	echo "$best $rss"
}

echo "== parity (per-address failure counts)"
one fail2ban-regex -o ip "$log" sshd >"$out/f2b.txt"
one "$out/hv" threats scan "$log" --json >"$out/hv.jsonl"
"$out/parity" -expect "$out/expect.tsv" -hv "$out/hv.jsonl" -f2b "$out/f2b.txt"

echo "== parity on a classic log (no sshd-session, no crafted user names): identical per address"
"$out/authlog" -classic -n "$lines" -o "$out/classic.log" -expect "$out/classic.tsv"
one fail2ban-regex -o ip "$out/classic.log" sshd >"$out/f2b-classic.txt"
one "$out/hv" threats scan "$out/classic.log" --json >"$out/hv-classic.jsonl"
"$out/parity" -identical -expect "$out/classic.tsv" -hv "$out/hv-classic.jsonl" -f2b "$out/f2b-classic.txt"

echo "== speed on one core (best of 3)"
read -r f2b_t f2b_m < <(best_of3 fail2ban-regex -o ip "$log" sshd)
read -r ssh_t ssh_m < <(best_of3 "$out/hv" threats scan "$log" --json --select ssh)
# --summary prints per-address counts, like -o ip: the same work without
# writing 300,000 JSON objects.
read -r sum_t sum_m < <(best_of3 "$out/hv" threats scan "$log" --summary --select ssh)
read -r all_t all_m < <(best_of3 "$out/hv" threats scan "$log" --json)
rate() { awk "BEGIN{printf \"%.0f\", $lines / $1}"; }
printf "   %-34s %8ss %10s lines/s %6s MB\n" "fail2ban-regex -o ip (sshd)" "$f2b_t" "$(rate "$f2b_t")" $((f2b_m / 1024))
printf "   %-34s %8ss %10s lines/s %6s MB\n" "hv threats scan --select ssh" "$ssh_t" "$(rate "$ssh_t")" $((ssh_m / 1024))
printf "   %-34s %8ss %10s lines/s %6s MB\n" "hv threats scan (all rules)" "$all_t" "$(rate "$all_t")" $((all_m / 1024))
printf "   %-34s %8ss %10s lines/s %6s MB\n" "hv threats scan --select ssh --summary" "$sum_t" "$(rate "$sum_t")" $((sum_m / 1024))
ratio=$(awk "BEGIN{printf \"%.1f\", $f2b_t / $ssh_t}")
ratio_all=$(awk "BEGIN{printf \"%.1f\", $f2b_t / $all_t}")
ratio_sum=$(awk "BEGIN{printf \"%.1f\", $f2b_t / $sum_t}")
echo "   hv is ${ratio}x fail2ban-regex with the SSH rules (${ratio_sum}x printing per-address counts as -o ip does), ${ratio_all}x with all $("$out/hv" threats rules | tail -1)"

fail=0
awk "BEGIN{exit !($(rate "$ssh_t") >= 1000000)}" || { echo "   below target: SSH rules under 1,000,000 lines/s"; fail=1; }
awk "BEGIN{exit !($(rate "$all_t") >= 300000)}" || { echo "   below target: all rules under 300,000 lines/s"; fail=1; }
awk "BEGIN{exit !($ratio >= 40)}" || { echo "   below target: under 40x fail2ban"; fail=1; }
[ $((all_m / 1024)) -le 100 ] || { echo "   above target: more than 100 MB"; fail=1; }
[ "$fail" = 0 ] && echo "   all speed and memory targets met"
exit "$fail"
