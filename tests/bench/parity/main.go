// Command parity checks per-address authentication failure counts of hv
// and of fail2ban-regex on a log written by tests/bench/authlog.
//
//	parity -expect expect.tsv -hv hv.jsonl -f2b f2b.txt
//
// hv.jsonl is 'hv threats scan --json' output; f2b.txt is
// 'fail2ban-regex -o ip FILE sshd' output. It checks that
//
//   - hv's counts equal the generator's (every connection followed by pid);
//   - fail2ban's counts equal the generator's model of fail2ban;
//   - on the lines fail2ban reads (sshd[pid]), hv and fail2ban agree for
//     every address, except for closing lines that fail2ban counts as
//     failures after a user name containing " from ", which are listed;
//   - no address injected in a user name is reported by hv.
//
// It exits 1 on any mismatch.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

type expect struct{ hv, hvSshd, f2b, quirk, missed int }

func main() {
	expPath := flag.String("expect", "expect.tsv", "expected counts from authlog")
	hvPath := flag.String("hv", "hv.jsonl", "hv threats scan --json output")
	f2bPath := flag.String("f2b", "", "fail2ban-regex -o ip output (optional)")
	identical := flag.Bool("identical", false, "the log is classic (authlog -classic): hv and fail2ban must agree for every address")
	flag.Parse()

	exp := readExpect(*expPath)
	hv, fakes := readHV(*hvPath)
	ok := true
	say := func(good bool, format string, args ...any) {
		mark := "ok  "
		if !good {
			mark, ok = "FAIL", false
		}
		fmt.Printf("%s %s\n", mark, fmt.Sprintf(format, args...))
	}

	var want, total int
	var diffs []string
	for ip, e := range exp {
		want += e.hv
		if hv[ip] != e.hv {
			diffs = append(diffs, fmt.Sprintf("%s hv=%d expected=%d", ip, hv[ip], e.hv))
		}
	}
	for ip, n := range hv {
		total += n
		if _, known := exp[ip]; !known {
			diffs = append(diffs, fmt.Sprintf("%s hv=%d expected=0", ip, n))
		}
	}
	say(len(diffs) == 0, "hv: %d failures from %d addresses; per-address counts identical to the connection follower's: %v", total, len(hv), len(diffs) == 0)
	show(diffs)
	say(len(fakes) == 0, "hv: no injected address (10.66.66.x, 127.0.0.1, ::1) reported: %v %v", len(fakes) == 0, fakes)

	if *f2bPath == "" {
		exitWith(ok)
	}
	f2b := readF2B(*f2bPath)
	diffs = nil
	var f2bTotal, quirk, missed, sshdTotal, explainedIPs int
	var onBoth, sameOnBoth int
	for ip, e := range exp {
		if f2b[ip] != e.f2b {
			diffs = append(diffs, fmt.Sprintf("%s fail2ban=%d model=%d", ip, f2b[ip], e.f2b))
		}
		quirk += e.quirk
		missed += e.missed
		sshdTotal += e.hvSshd
		if e.quirk > 0 || e.missed > 0 {
			explainedIPs++
		}
		if e.hvSshd > 0 || f2b[ip] > 0 {
			onBoth++
			if e.hvSshd == f2b[ip] {
				sameOnBoth++
			}
		}
	}
	for ip, n := range f2b {
		f2bTotal += n
		if _, known := exp[ip]; !known {
			diffs = append(diffs, fmt.Sprintf("%s fail2ban=%d model=0", ip, n))
		}
	}
	say(len(diffs) == 0, "fail2ban: %d failures from %d addresses; identical to the model of its sshd filter: %v", f2bTotal, len(f2b), len(diffs) == 0)
	show(diffs)

	if *identical {
		diffs = nil
		for ip, n := range hv {
			if f2b[ip] != n {
				diffs = append(diffs, fmt.Sprintf("%s hv=%d fail2ban=%d", ip, n, f2b[ip]))
			}
		}
		for ip, n := range f2b {
			if _, seen := hv[ip]; !seen {
				diffs = append(diffs, fmt.Sprintf("%s hv=0 fail2ban=%d", ip, n))
			}
		}
		say(len(diffs) == 0 && len(hv) == len(f2b), "classic log: per-address failure counts of hv and fail2ban-regex -o ip identical for all %d addresses (%d failures)", len(f2b), f2bTotal)
		show(diffs)
		exitWith(ok)
	}

	// On sshd[pid] lines: hv, plus what fail2ban miscounts, less what it
	// misses, must be fail2ban, per address.
	diffs = nil
	for ip, e := range exp {
		if hvSshd := hvOnSshd(e, hv[ip]); hvSshd+e.quirk-e.missed != f2b[ip] {
			diffs = append(diffs, fmt.Sprintf("%s hv(sshd)=%d quirk=%d missed=%d fail2ban=%d", ip, hvSshd, e.quirk, e.missed, f2b[ip]))
		}
	}
	say(len(diffs) == 0, "sshd[pid] lines: hv and fail2ban identical for %d of %d addresses; the other %d differ only where fail2ban is wrong:",
		sameOnBoth, onBoth, explainedIPs)
	fmt.Printf("     %d closing lines fail2ban counts as failures after a user name containing \" from \" (it sees a change of user)\n", quirk)
	fmt.Printf("     %d failures fail2ban misses because the user name contains a colon (its regex takes [^:]+)\n", missed)
	show(diffs)
	fmt.Printf("     sshd-session lines: hv counts %d failures that fail2ban 1.0.2 does not read at all\n", total-sshdTotal)
	exitWith(ok)
}

// hvOnSshd is hv's count on sshd lines: the generator's, once hv's total
// is known to match it.
func hvOnSshd(e expect, hvTotal int) int {
	if hvTotal != e.hv {
		return -1
	}
	return e.hvSshd
}

func show(diffs []string) {
	sort.Strings(diffs)
	for i, d := range diffs {
		if i == 10 {
			fmt.Printf("     ... and %d more\n", len(diffs)-10)
			break
		}
		fmt.Println("    ", d)
	}
}

func exitWith(ok bool) {
	if !ok {
		os.Exit(1)
	}
	os.Exit(0)
}

func readExpect(path string) map[string]expect {
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	out := map[string]expect{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 6 {
			check(fmt.Errorf("%s: bad line %q", path, sc.Text()))
		}
		n := func(s string) int { v, err := strconv.Atoi(s); check(err); return v }
		out[c[0]] = expect{n(c[1]), n(c[2]), n(c[3]), n(c[4]), n(c[5])}
	}
	check(sc.Err())
	return out
}

func readHV(path string) (map[string]int, []string) {
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	out := map[string]int{}
	var fakes []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var v struct {
			IP   string   `json:"ip"`
			Kind string   `json:"kind"`
			Tags []string `json:"tags"`
		}
		check(json.Unmarshal(sc.Bytes(), &v))
		if strings.HasPrefix(v.IP, "10.66.66.") || v.IP == "127.0.0.1" || v.IP == "::1" {
			fakes = append(fakes, v.IP)
		}
		if v.Kind != "match" || v.IP == "" {
			continue
		}
		for _, t := range v.Tags {
			if t == "auth-failure" {
				out[v.IP]++
			}
		}
	}
	check(sc.Err())
	return out, fakes
}

func readF2B(path string) map[string]int {
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if ip := strings.TrimSpace(sc.Text()); ip != "" {
			out[ip]++
		}
	}
	check(sc.Err())
	return out
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "parity:", err)
		os.Exit(2)
	}
}
