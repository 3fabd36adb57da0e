// Command realworld measures hv's log rules on public, annotated sshd logs
// that hv's authors did not write, kept outside the repository:
//
//	fail2ban's test logs     github.com/fail2ban/fail2ban  fail2ban/tests/files/logs/sshd, sshd-journal
//	                         (annotated per line: failJSON match and host; ddos/extra sections are scanner noise)
//	sshguard's parser tests  github.com/SSHGuard/sshguard  src/parser/tests.txt (service 100: sshd)
//	loghub's OpenSSH sample  github.com/logpai/loghub      OpenSSH/OpenSSH_2k.log_structured.csv
//	                         (labelled here by template: fail2ban's normal-mode failures are failures,
//	                         no identification string and pre-auth closes alone on their connection are scans)
//
// Put the files, named f2b-sshd.log, f2b-sshd-journal.log, sshguard-tests.txt and
// loghub-structured.csv, in one directory, then:
//
//	go build -o /tmp/hv ./cmd/hv && go run ./tests/bench/realworld -hv /tmp/hv -data DIR [-v]
//
// Speed on real-world lines: loghub's raw OpenSSH_2k.log (1,999 lines), repeated 500 times, timed
// like tests/bench/parity.sh does:
//
//	for i in $(seq 500); do cat OpenSSH_2k.log; done >/tmp/loghub1m.log
//	GOMAXPROCS=1 taskset -c 0 /usr/bin/time -f '%e s %M KB' hv threats scan /tmp/loghub1m.log --json --select ssh >/dev/null
//	taskset -c 0 /usr/bin/time -f '%e s %M KB' fail2ban-regex -o ip /tmp/loghub1m.log sshd >/dev/null
//
// It prints, per source, the failures and scanner lines found, wrong addresses, failures where
// none is, and failures without the address the source gives. A source annotates a multi-line
// failure on one line of a connection where hv may report it on another: lines are compared
// per connection (sshd's pid).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

type expect struct {
	line   int    // line in the converted file
	text   string // converted line
	class  string // fail, scan, none
	host   string // expected address ("" none, or a hostname: no address expected)
	pid    string
	corpus string
}

type finding struct {
	Line int      `json:"line"`
	Rule string   `json:"rule"`
	Tags []string `json:"tags"`
	Kind string   `json:"kind"`
	IP   string   `json:"ip"`
}

var pidRe = regexp.MustCompile(`sshd(?:-session)?\[(\d+)\]`)

func main() {
	hv := flag.String("hv", "", "hv binary")
	dir := flag.String("data", "", "directory of the fetched logs")
	verbose := flag.Bool("v", false, "")
	flag.Parse()
	var all []expect
	var lines []string
	add := func(raw []expect) {
		for _, e := range raw {
			lines = append(lines, e.text)
			e.line = len(lines)
			if m := pidRe.FindStringSubmatch(e.text); m != nil {
				e.pid = e.corpus + m[1]
			}
			all = append(all, e)
		}
	}
	add(fail2ban(*dir+"/f2b-sshd.log", false))
	add(fail2ban(*dir+"/f2b-sshd-journal.log", true))
	add(sshguard(*dir + "/sshguard-tests.txt"))
	add(loghub(*dir + "/loghub-structured.csv"))
	file := filepath.Join(os.TempDir(), "hv-realworld.log")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.Remove(file)
	out, err := exec.Command(*hv, "threats", "scan", file, "--json", "--rules", "/nonexistent", "--year", "2005").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hv:", err)
	}
	byLine := map[int][]finding{}
	for _, l := range strings.Split(string(out), "\n") {
		if l == "" {
			continue
		}
		var f finding
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			panic(err)
		}
		if f.Kind != "match" {
			continue
		}
		byLine[f.Line] = append(byLine[f.Line], f)
	}
	classOf := func(fs []finding) (string, string) {
		c, ip := "none", ""
		for _, f := range fs {
			for _, t := range f.Tags {
				if t == "auth-failure" {
					return "fail", f.IP
				}
				if t == "scan" {
					c, ip = "scan", f.IP
				}
			}
		}
		return c, ip
	}
	type score struct{ failExp, failGot, scanExp, scanGot, wrong, falseFail, falseNoAddr, noAddr, hostLines int }
	scores := map[string]*score{}
	// Group by connection (corpus + pid): sources annotate a multi-line
	// failure on one line, hv reports it on another of the connection.
	type item struct {
		e     expect
		c, ip string
		used  bool
	}
	groups := map[string][]*item{}
	var order []string
	for i, e := range all {
		key := e.pid
		if key == "" {
			key = fmt.Sprintf("line%d", i)
		}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		c, ip := classOf(byLine[e.line])
		groups[key] = append(groups[key], &item{e: e, c: c, ip: ip})
	}
	norm := func(h string) (string, bool) {
		a, err := netip.ParseAddr(h)
		if err != nil {
			return "", false
		}
		return a.Unmap().String(), true
	}
	report := func(it *item, what string) {
		if *verbose {
			fmt.Printf("%-12s %-5s got %-4s %-30s | %s\n", it.e.corpus, it.e.class, it.c, what, it.e.text)
		}
	}
	for _, key := range order {
		items := groups[key]
		s := scores[items[0].e.corpus]
		if s == nil {
			s = &score{}
			scores[items[0].e.corpus] = s
		}
		// the addresses this connection is known by
		known := map[string]bool{}
		for _, it := range items {
			if h, ok := norm(it.e.host); ok {
				known[h] = true
			}
		}
		okAddr := func(it *item, exp *item) bool {
			if it.ip == "" {
				return true
			}
			if h, ok := norm(exp.e.host); ok {
				return it.ip == h
			}
			if exp.e.host != "" { // a host name: the connection's address is right
				return len(known) == 0 || known[it.ip]
			}
			return len(known) == 0 || known[it.ip]
		}
		for _, cls := range []string{"fail", "scan"} {
			var exp, got []*item
			for _, it := range items {
				if it.e.class == cls {
					exp = append(exp, it)
				}
				if it.c == cls || cls == "scan" && it.c == "fail" && it.e.class == "scan" {
					got = append(got, it)
				}
			}
			for _, x := range exp {
				if cls == "fail" {
					s.failExp++
				} else {
					s.scanExp++
				}
				// same line first, then any line of the connection
				var m *item
				if !x.used && (x.c == cls || cls == "scan" && x.c == "fail") {
					m = x
				} else {
					for _, g := range got {
						if !g.used && g.e.class != cls {
							m = g
							break
						}
					}
				}
				if m == nil {
					report(x, "MISSED")
					continue
				}
				m.used = true
				if cls == "fail" {
					s.failGot++
				} else {
					s.scanGot++
				}
				if !okAddr(m, x) {
					s.wrong++
					report(m, "WRONG-ADDR "+m.ip+" want "+x.e.host)
				} else if m.ip == "" {
					if _, ok := norm(x.e.host); ok {
						s.noAddr++
						report(m, "NO-ADDR want "+x.e.host)
					}
				}
				if x.e.host != "" {
					if _, ok := norm(x.e.host); !ok && m.ip != "" {
						s.hostLines++
					}
				}
			}
		}
		for _, it := range items {
			if it.c == "fail" && !it.used {
				if it.ip == "" {
					s.falseNoAddr++
					report(it, "FAILURE (no address) WHERE NONE")
				} else {
					s.falseFail++
					report(it, "FAILURE WHERE NONE")
				}
				if len(known) > 0 && !known[it.ip] && it.ip != "" {
					s.wrong++
					report(it, "WRONG-ADDR "+it.ip)
				}
			}
		}
	}
	for _, k := range []string{"f2b", "f2b-journal", "sshguard", "loghub"} {
		s := scores[k]
		fmt.Printf("%-12s failures %d/%d  scanner %d/%d  wrong addresses %d  failures where none %d (+%d without address)  no address where one %d  host-name lines given the connection's address %d\n",
			k, s.failGot, s.failExp, s.scanGot, s.scanExp, s.wrong, s.falseFail, s.falseNoAddr, s.noAddr, s.hostLines)
	}
}

var eventID = regexp.MustCompile(`,(E\d+),`)

var failJSON = regexp.MustCompile(`^# failJSON: (.*)$`)

// fail2ban reads fail2ban's annotated test log. Sections whose
// filterOptions name no mode (normal) expect failures; ddos/extra ones
// expect scanner lines.
func fail2ban(path string, journal bool) []expect {
	f, _ := os.Open(path)
	defer f.Close()
	sc := bufio.NewScanner(f)
	mode := "normal"
	corpus := "f2b"
	if journal {
		corpus = "f2b-journal"
	}
	var pending map[string]any
	var out []expect
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "# filterOptions:") {
			o := l[len("# filterOptions:"):]
			switch {
			case strings.Contains(o, `"ddos"`):
				mode = "ddos"
			case strings.Contains(o, `"extra"`):
				mode = "extra"
			case strings.Contains(o, "rfc5424"):
				mode = "normal"
			default:
				mode = "normal"
			}
			continue
		}
		if m := failJSON.FindStringSubmatch(l); m != nil {
			pending = map[string]any{}
			if err := json.Unmarshal([]byte(m[1]), &pending); err != nil {
				panic(l)
			}
			continue
		}
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if pending == nil {
			continue
		}
		p := pending
		pending = nil
		if c, _ := p["constraint"].(string); c != "" {
			// keep what normal/ddos mode says
			if strings.Contains(c, "== 'aggressive'") {
				continue
			}
		}
		e := expect{text: l, corpus: corpus, class: "none"}
		if journal {
			e.text = "Jan  1 00:00:00 " + l
		}
		match, _ := p["match"].(bool)
		host, _ := p["host"].(string)
		if match {
			e.class = "fail"
			if mode != "normal" {
				e.class = "scan"
			}
			e.host = host
		}
		out = append(out, e)
	}
	return out
}

// sshguard reads sshguard's parser tests: LINE, EXPECT, M. Only sshd
// (service 100) lines.
func sshguard(path string) []expect {
	data, _ := os.ReadFile(path)
	ls := strings.Split(string(data), "\n")
	var out []expect
	for i := 0; i+2 < len(ls); i++ {
		if ls[i+2] != "M" || strings.HasPrefix(ls[i], "#") {
			continue
		}
		line, want := ls[i], ls[i+1]
		f := strings.Fields(want)
		e := expect{corpus: "sshguard", class: "none"}
		if want != "*" {
			if f[0] != "100" {
				continue
			}
			e.class, e.host = "scan", f[1]
		} else if !strings.Contains(line, "sshd") && strings.Contains(line, "dropbear") {
			continue
		}
		switch {
		case regexp.MustCompile(`^[A-Z][a-z]{2} [ \d]\d `).MatchString(line), strings.HasPrefix(line, "20"):
			e.text = line
		default:
			e.text = "Jan  1 00:00:00 host sshd[" + fmt.Sprint(9000+i) + "]: " + line
		}
		out = append(out, e)
		i += 2
	}
	return out
}

// loghub labels the OpenSSH_2k sample by template: fail2ban's normal-mode
// failures are fail; E3 and E7 scan; the rest none.
func loghub(path string) []expect {
	f, _ := os.Open(path)
	defer f.Close()
	r := bufio.NewScanner(f)
	r.Scan()
	var out []expect
	ipRe := regexp.MustCompile(`(?:from |by |rhost=|\[)(\d+\.\d+\.\d+\.\d+)`)
	for r.Scan() {
		l := r.Text()
		// LineId,Date,Day,Time,Component,Pid,Content,EventId,EventTemplate
		parts := strings.SplitN(l, ",", 7)
		rest := parts[6]
		// content may hold commas: EventId is after the last ",E<digits>,"
		ms := eventID.FindAllStringSubmatchIndex(rest, -1)
		if len(ms) == 0 {
			continue
		}
		last := ms[len(ms)-1]
		content, id := rest[:last[0]], rest[last[2]:last[3]]
		content = strings.Trim(content, `"`)
		day := parts[2]
		if len(day) == 1 {
			day = " " + day
		}
		text := fmt.Sprintf("%s %s %s %s sshd[%s]: %s", parts[1], day, parts[3], parts[4], parts[5], content)
		e := expect{text: text, corpus: "loghub", class: "none"}
		switch id {
		case "E4", "E5", "E6", "E8", "E9", "E10", "E13", "E14":
			e.class = "fail"
		case "E3":
			e.class = "scan"
		case "E2": // a probe when nothing else is on its connection
			e.class = "probe?"
		}
		if e.class == "fail" || e.class == "scan" {
			if m := ipRe.FindStringSubmatch(content); m != nil {
				e.host = m[1]
			}
		}
		out = append(out, e)
	}
	// E2 is a probe when nothing else of its connection is logged
	byPid := map[string]int{}
	for _, e := range out {
		byPid[pidRe.FindString(e.text)]++
	}
	for i := range out {
		if out[i].class == "probe?" {
			out[i].class = "none"
			if byPid[pidRe.FindString(out[i].text)] == 1 {
				out[i].class = "scan"
				if m := ipRe.FindStringSubmatch(out[i].text); m != nil {
					out[i].host = m[1]
				}
			}
		}
	}
	return out
}
