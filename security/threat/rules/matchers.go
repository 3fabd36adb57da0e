package rules

import "bytes"

// Matchers are hand-written equivalents of the patterns of the few sshd
// message shapes that make up most of an auth.log under attack ("Failed
// password for ...", "Invalid user ...", the PAM detail, connection
// opened and closed). Go's regexp spends most of a microsecond on each of
// those lines (740 ns on "Failed password for invalid user ..."); a
// matcher reads the same line in a tenth of that (60 ns).
//
// A rule opts in with matcher = "NAME". Each matcher is bound to one
// pattern, character for character: loading refuses a rule whose pattern
// is not the one its matcher implements, so a pattern edited without its
// matcher can never quietly disagree with it. A matcher returns exactly
// the submatch indexes the pattern would (the same user, the same
// address, including on user names that hold " from ADDR port N", colons
// or spaces), or says it cannot decide: then the pattern runs. Messages
// holding a newline (journal messages may) or longer than fastMax always
// go to the pattern. TestMatchersAgreeWithPatterns, FuzzMatchers and
// tests/bench's TestMatchersAgreeOnGeneratedLog hold the matchers to it.
//
// Reading a matcher: the patterns are anchored at the start; a greedy run
// (\S+, \d+) is followed by text it cannot contain (a space, a colon), so
// the match takes the longest run, as backtracking into it could never
// succeed; a lazy user name (.*?) ends at the first place after which the
// rest matches, tried in order; an optional part is taken when present,
// because leaving it would leave text nothing after it in the pattern
// accepts. Where a pattern is subtler, the matcher's comment says why.

// verdict is a matcher's answer.
type verdict uint8

const (
	undecided verdict = iota // the pattern decides
	noMatch
	matched
)

type matcher struct {
	pattern string
	match   func(b []byte, m []int) verdict
}

// matchers by the name rules give them.
var matchers = map[string]matcher{
	"ssh-failed":            {`^(?:(?:error|fatal): (?:PAM: )?)?Failed \S+ for (?:(?:invalid|illegal) user (?P<user>.*?)|(?P<user_2>\S+|<invalid username>)) from (?P<ip>\S+)(?: port \d+)?(?: on \S+)?(?: ssh\d*)?(?:: .*)?$`, sshFailed},
	"ssh-invalid-user":      {`^(?:(?:error|fatal): (?:PAM: )?)?[iI]nvalid user (?P<user>.*?) from (?P<ip>\S+)(?: (?:port \d+|on \S+|\[preauth\]))*\s*$`, sshInvalidUser},
	"ssh-pam-failure":       {`^(?:(?:error|fatal): (?:PAM: )?)?[aA]uthentication (?:failure|error|failed) for (?:illegal user )?(?P<user>.*?) from (?P<ip>\S+)(?: via \S+)?(?: (?:port \d+|on \S+|\[preauth\]))*\s*$`, sshPAMFailure},
	"ssh-max-auth-tries":    {`^(?:(?:error|fatal): (?:PAM: )?)?maximum authentication attempts exceeded for (?:invalid user )?(?P<user>.*?) from (?P<ip>\S+)(?: (?:port \d+|on \S+))*(?: ssh\d*)?(?: (?:port \d+|on \S+|\[preauth\]))*\s*$`, sshMaxAuthTries},
	"ssh-too-many-user":     {`^(?:(?:error|fatal): (?:PAM: )?)?Disconnecting (?:invalid|authenticating) user (?P<user>.*?) (?P<ip>\S+) port \d+: Too many authentication failures(?: \[preauth\])?$`, sshTooManyUser},
	"ssh-pam-detail":        {`^pam_[a-z]+\(sshd:auth\):\s+authentication failure;\s+logname=\S*\s+uid=\d*\s+euid=\d*\s+tty=\S*\s+ruser=\S*\s+rhost=(?P<ip>\S*)(?:\s+user=(?P<user>\S*))?(?: \[preauth\])?\s*$`, sshPAMDetail},
	"ssh-connection":        {`^Connection from (?P<ip>\S+)(?: port \d+|$)`, sshConnection},
	"ssh-client-disconnect": {`^(?:error: )?Received disconnect from (?P<ip>\S+)(?: port \d+)?:\s*(?P<code>\d+):`, sshClientDisconnect},
	"ssh-closed":            {`^(?:Connection (?:closed|reset)|Disconnected) (?:by|from)(?: (?:(?:invalid|authenticating) )?user (?P<user>.*?))? (?P<ip>(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+)(?: (?:port \d+|on \S+|\[preauth\]))*\s*$`, sshClosed},
	"ssh-preauth-closed":    {`^(?:Connection (?:closed|reset)|Disconnected) (?:by|from)(?: (?:(?:invalid|authenticating) )?user (?P<user>.*?))? (?P<ip>(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+)(?: port \d+)? \[preauth\]\s*$`, sshPreauthClosed},
	"ssh-accepted":          {`^Accepted (?P<method>\S+) for (?P<user>\S+) from (?P<ip>\S+) port \d+`, sshAccepted},
}

// fastMax is the longest message given to a matcher. sshd's are far
// shorter; the bound, with maxTries, keeps a matcher's work on hostile
// lines small.
const fastMax = 1024

// maxTries is how many places a matcher tries for the end of a lazy user
// name before leaving the line to the pattern.
const maxTries = 16

// decide runs matcher f on b, with m (2 indexes per group and 2 for the
// whole match) set to -1 first, except where only the pattern decides: on
// a message longer than fastMax or holding a newline, which . and .*? do
// not cross and the matchers do not look for.
func decide(f func(b []byte, m []int) verdict, b []byte, m []int) verdict {
	if bytes.IndexByte(b, '\n') >= 0 {
		return undecided
	}
	return decideLine(f, b, m)
}

// decideLine is decide for a message known to hold no newline (one line
// of a file).
func decideLine(f func(b []byte, m []int) verdict, b []byte, m []int) verdict {
	if len(b) > fastMax {
		return undecided
	}
	for i := range m {
		m[i] = -1
	}
	return f(b, m)
}

// ^(?:(?:error|fatal): (?:PAM: )?)?Failed \S+ for (?:(?:invalid|illegal) user (?P<user>.*?)|(?P<user_2>\S+|<invalid username>)) from (?P<ip>\S+)(?: port \d+)?(?: on \S+)?(?: ssh\d*)?(?:: .*)?$
//
// The alternatives in order: an invalid user's name, shortest first; else
// a valid user's (one \S+ run), else Solaris' "<invalid username>".
func sshFailed(b []byte, m []int) verdict {
	i := lit(b, nonSpaces(b, lit(b, severity(b), "Failed ")), " for ")
	if i < 0 {
		return noMatch
	}
	u := lit(b, i, "invalid user ")
	if u < 0 {
		u = lit(b, i, "illegal user ")
	}
	if u >= 0 {
		v := lazy(b, u, " from ", func(k int) bool {
			ip := k + len(" from ")
			e := ipEnd(b, ip, failedTail)
			if e < 0 {
				return false
			}
			set(m, 0, 0, len(b))
			set(m, 1, u, k)
			set(m, 3, ip, e)
			return true
		})
		if v != noMatch {
			return v
		}
	}
	for _, ue := range [2]int{nonSpaces(b, i), lit(b, i, "<invalid username>")} {
		ip := lit(b, ue, " from ")
		if e := ipEnd(b, ip, failedTail); e >= 0 {
			set(m, 0, 0, len(b))
			set(m, 2, i, ue)
			set(m, 3, ip, e)
			return matched
		}
	}
	return noMatch
}

// failedTail: (?: port \d+)?(?: on \S+)?(?: ssh\d*)?(?:: .*)?$. Each
// optional part is taken when present: what follows never starts with
// its first character.
func failedTail(b []byte, j int) bool {
	if k := digits(b, lit(b, j, " port ")); k >= 0 {
		j = k
	}
	if k := nonSpaces(b, lit(b, j, " on ")); k >= 0 {
		return sshInfo(b, k) || b[k-1] == ':' && k-1 > j+len(" on ") && sshInfo(b, k-1)
	}
	return sshInfo(b, j)
}

// sshInfo: (?: ssh\d*)?(?:: .*)?$ (messages hold no newline here).
func sshInfo(b []byte, j int) bool {
	if k := lit(b, j, " ssh"); k >= 0 {
		j = digits0(b, k)
	}
	return j == len(b) || lit(b, j, ": ") >= 0
}

// ipEnd returns where (?P<ip>\S+) starting at s ends when tail matches
// after it, or -1. The longest run is tried first; the only shorter one
// that can be followed by a tail (which starts with a space, ": " or the
// end) ends before the run's last character, a colon.
func ipEnd(b []byte, s int, tail func(b []byte, j int) bool) int {
	e := nonSpaces(b, s)
	switch {
	case e < 0:
		return -1
	case tail(b, e):
		return e
	case b[e-1] == ':' && e-1 > s && tail(b, e-1):
		return e - 1
	}
	return -1
}

// ^(?:(?:error|fatal): (?:PAM: )?)?[iI]nvalid user (?P<user>.*?) from (?P<ip>\S+)(?: (?:port \d+|on \S+|\[preauth\]))*\s*$
func sshInvalidUser(b []byte, m []int) verdict {
	i := severity(b)
	if i < len(b) && (b[i] == 'i' || b[i] == 'I') {
		return userFrom(b, m, lit(b, i+1, "nvalid user "), "", tailWords)
	}
	return noMatch
}

// ^(?:(?:error|fatal): (?:PAM: )?)?[aA]uthentication (?:failure|error|failed) for (?:illegal user )?(?P<user>.*?) from (?P<ip>\S+)(?: via \S+)?(?: (?:port \d+|on \S+|\[preauth\]))*\s*$
func sshPAMFailure(b []byte, m []int) verdict {
	i := severity(b)
	if i >= len(b) || b[i] != 'a' && b[i] != 'A' {
		return noMatch
	}
	i = lit(b, i+1, "uthentication ")
	j := lit(b, i, "failure for ")
	if j < 0 {
		j = lit(b, i, "error for ")
	}
	if j < 0 {
		j = lit(b, i, "failed for ")
	}
	return userFrom(b, m, j, "illegal user ", func(b []byte, j int) bool {
		if k := nonSpaces(b, lit(b, j, " via ")); k >= 0 {
			j = k
		}
		return tailWords(b, j)
	})
}

// ^(?:(?:error|fatal): (?:PAM: )?)?maximum authentication attempts exceeded for (?:invalid user )?(?P<user>.*?) from (?P<ip>\S+)(?: (?:port \d+|on \S+))*(?: ssh\d*)?(?: (?:port \d+|on \S+|\[preauth\]))*\s*$
func sshMaxAuthTries(b []byte, m []int) verdict {
	i := lit(b, severity(b), "maximum authentication attempts exceeded for ")
	return userFrom(b, m, i, "invalid user ", func(b []byte, j int) bool {
		j = words(b, j, false)
		if k := lit(b, j, " ssh"); k >= 0 {
			j = digits0(b, k)
		}
		return tailWords(b, j)
	})
}

// ^(?:(?:error|fatal): (?:PAM: )?)?Disconnecting (?:invalid|authenticating) user (?P<user>.*?) (?P<ip>\S+) port \d+: Too many authentication failures(?: \[preauth\])?$
func sshTooManyUser(b []byte, m []int) verdict {
	i := lit(b, severity(b), "Disconnecting ")
	u := lit(b, i, "invalid user ")
	if u < 0 {
		u = lit(b, i, "authenticating user ")
	}
	return lazy(b, u, " ", func(k int) bool {
		ip := k + 1
		e := nonSpaces(b, ip)
		j := lit(b, digits(b, lit(b, e, " port ")), ": Too many authentication failures")
		if j < 0 || j != len(b) && lit(b, j, " [preauth]") != len(b) {
			return false
		}
		set(m, 0, 0, len(b))
		set(m, 1, u, k)
		set(m, 2, ip, e)
		return true
	})
}

// ^pam_[a-z]+\(sshd:auth\):\s+authentication failure;\s+logname=\S*\s+uid=\d*\s+euid=\d*\s+tty=\S*\s+ruser=\S*\s+rhost=(?P<ip>\S*)(?:\s+user=(?P<user>\S*))?(?: \[preauth\])?\s*$
//
// Every field is one run of non-spaces in a fixed order, so each ends
// where its run does; the optional user and [preauth] are taken when
// present, as nothing after them could start where they do.
func sshPAMDetail(b []byte, m []int) verdict {
	i := lit(b, 0, "pam_")
	j := i
	for j >= 0 && j < len(b) && b[j] >= 'a' && b[j] <= 'z' {
		j++
	}
	if j == i {
		return noMatch
	}
	j = lit(b, spaces1(b, lit(b, j, "(sshd:auth):")), "authentication failure;")
	j = nonSpaces0(b, lit(b, spaces1(b, j), "logname="))
	j = digits0(b, lit(b, spaces1(b, j), "uid="))
	j = digits0(b, lit(b, spaces1(b, j), "euid="))
	j = nonSpaces0(b, lit(b, spaces1(b, j), "tty="))
	j = nonSpaces0(b, lit(b, spaces1(b, j), "ruser="))
	ip := lit(b, spaces1(b, j), "rhost=")
	e := nonSpaces0(b, ip)
	if e < 0 {
		return noMatch
	}
	k, u, ue := e, -1, -1
	if x := lit(b, spaces1(b, k), "user="); x >= 0 {
		u, ue = x, nonSpaces0(b, x)
		k = ue
	}
	if x := lit(b, k, " [preauth]"); x >= 0 {
		k = x
	}
	if spaces(b, k) != len(b) {
		return noMatch
	}
	set(m, 0, 0, len(b))
	set(m, 1, ip, e)
	if u >= 0 {
		set(m, 2, u, ue)
	}
	return matched
}

// ^Connection from (?P<ip>\S+)(?: port \d+|$)
func sshConnection(b []byte, m []int) verdict {
	ip := lit(b, 0, "Connection from ")
	e := nonSpaces(b, ip)
	if e < 0 {
		return noMatch
	}
	end := digits(b, lit(b, e, " port "))
	if end < 0 && e == len(b) {
		end = e
	}
	if end < 0 {
		return noMatch
	}
	set(m, 0, 0, end)
	set(m, 1, ip, e)
	return matched
}

// ^(?:error: )?Received disconnect from (?P<ip>\S+)(?: port \d+)?:\s*(?P<code>\d+):
//
// Not anchored at the end, so \S+ may give back text: the address is the
// longest run that the rest follows ("2001:db8::1:11:" reads as 2001:db8::1
// and code 11).
func sshClientDisconnect(b []byte, m []int) verdict {
	ip := lit(b, 0, "Received disconnect from ")
	if ip < 0 {
		ip = lit(b, lit(b, 0, "error: "), "Received disconnect from ")
	}
	run := nonSpaces(b, ip)
	if run < 0 {
		return noMatch
	}
	for e := run; e > ip; e-- {
		p := e
		if e == run {
			if k := digits(b, lit(b, e, " port ")); k >= 0 {
				p = k
			}
		}
		d := spaces(b, lit(b, p, ":"))
		c := digits(b, d)
		if end := lit(b, c, ":"); end >= 0 {
			set(m, 0, 0, end)
			set(m, 1, ip, e)
			set(m, 2, d, c)
			return matched
		}
	}
	return noMatch
}

// ^(?:Connection (?:closed|reset)|Disconnected) (?:by|from)(?: (?:(?:invalid|authenticating) )?user (?P<user>.*?))? (?P<ip>(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+)(?: (?:port \d+|on \S+|\[preauth\]))*\s*$
func sshClosed(b []byte, m []int) verdict { return closedLine(b, m, tailWords) }

// ^(?:Connection (?:closed|reset)|Disconnected) (?:by|from)(?: (?:(?:invalid|authenticating) )?user (?P<user>.*?))? (?P<ip>(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+)(?: port \d+)? \[preauth\]\s*$
func sshPreauthClosed(b []byte, m []int) verdict {
	return closedLine(b, m, func(b []byte, j int) bool {
		if k := digits(b, lit(b, j, " port ")); k >= 0 {
			j = k
		}
		return spaces(b, lit(b, j, " [preauth]")) == len(b)
	})
}

// closedLine reads the close lines up to the address, then tail, which
// starts with a space or ends the line.
func closedLine(b []byte, m []int, tail func(b []byte, j int) bool) verdict {
	i := lit(b, 0, "Connection closed")
	if i < 0 {
		i = lit(b, 0, "Connection reset")
	}
	if i < 0 {
		i = lit(b, 0, "Disconnected")
	}
	t := lit(b, i, " by")
	if t < 0 {
		t = lit(b, i, " from")
	}
	if t < 0 {
		return noMatch
	}
	addrTail := func(k int) int { // " ADDR" and the words after it, to the end
		e := addr(b, lit(b, k, " "))
		if e < 0 || !tail(b, e) {
			return -1
		}
		return e
	}
	u := lit(b, t, " invalid user ")
	if u < 0 {
		u = lit(b, t, " authenticating user ")
	}
	if u < 0 {
		u = lit(b, t, " user ")
	}
	if u >= 0 {
		v := lazy(b, u, " ", func(k int) bool {
			e := addrTail(k)
			if e < 0 {
				return false
			}
			set(m, 0, 0, len(b))
			set(m, 1, u, k)
			set(m, 2, k+1, e)
			return true
		})
		if v != noMatch {
			return v
		}
	}
	if e := addrTail(t); e >= 0 {
		set(m, 0, 0, len(b))
		set(m, 2, t+1, e)
		return matched
	}
	return noMatch
}

// ^Accepted (?P<method>\S+) for (?P<user>\S+) from (?P<ip>\S+) port \d+
func sshAccepted(b []byte, m []int) verdict {
	method := lit(b, 0, "Accepted ")
	methodEnd := nonSpaces(b, method)
	user := lit(b, methodEnd, " for ")
	userEnd := nonSpaces(b, user)
	ip := lit(b, userEnd, " from ")
	ipEnd := nonSpaces(b, ip)
	end := digits(b, lit(b, ipEnd, " port "))
	if end < 0 {
		return noMatch
	}
	set(m, 0, 0, end)
	set(m, 1, method, methodEnd)
	set(m, 2, user, userEnd)
	set(m, 3, ip, ipEnd)
	return matched
}

// userFrom matches (?:opt)?(?P<user>.*?) from (?P<ip>\S+) from i, then
// tail to the end of b: the user is the shortest that lets the rest
// match, after opt if it can be.
func userFrom(b []byte, m []int, i int, opt string, tail func(b []byte, j int) bool) verdict {
	if i < 0 {
		return noMatch
	}
	try := func(u int) verdict {
		return lazy(b, u, " from ", func(k int) bool {
			ip := k + len(" from ")
			e := nonSpaces(b, ip)
			if e < 0 || !tail(b, e) {
				return false
			}
			set(m, 0, 0, len(b))
			set(m, 1, u, k)
			set(m, 2, ip, e)
			return true
		})
	}
	if opt != "" {
		if v := try(lit(b, i, opt)); v != noMatch {
			return v
		}
	}
	return try(i)
}

// lazy calls ok on each place k >= from where sep starts, in order, until
// it reports true; after maxTries it gives up, undecided.
func lazy(b []byte, from int, sep string, ok func(k int) bool) verdict {
	if from < 0 {
		return noMatch
	}
	for k, tries := from, 0; ; k, tries = k+1, tries+1 {
		x := bytes.Index(b[k:], []byte(sep))
		if x < 0 {
			return noMatch
		}
		if tries == maxTries {
			return undecided
		}
		k += x
		if ok(k) {
			return matched
		}
	}
}

// severity skips (?:(?:error|fatal): (?:PAM: )?)? at the start. What
// follows it in every pattern starts with none of these words, so taking
// them whenever present is the only way to match.
func severity(b []byte) int {
	i := lit(b, 0, "error: ")
	if i < 0 {
		i = lit(b, 0, "fatal: ")
	}
	if i < 0 {
		return 0
	}
	if j := lit(b, i, "PAM: "); j >= 0 {
		return j
	}
	return i
}

// tailPortOnSSH: (?: port \d+)?(?: on \S+)?(?: ssh\d*)?$
func tailPortOnSSH(b []byte, j int) bool {
	if k := digits(b, lit(b, j, " port ")); k >= 0 {
		j = k
	}
	if k := nonSpaces(b, lit(b, j, " on ")); k >= 0 {
		j = k
	}
	if k := lit(b, j, " ssh"); k >= 0 {
		j = digits0(b, k)
	}
	return j == len(b)
}

// tailWords: (?: (?:port \d+|on \S+|\[preauth\]))*\s*$
func tailWords(b []byte, j int) bool {
	return spaces(b, words(b, j, true)) == len(b)
}

// words skips (?: (?:port \d+|on \S+))*, with |\[preauth\] if preauth.
func words(b []byte, j int, preauth bool) int {
	for {
		if k := digits(b, lit(b, j, " port ")); k >= 0 {
			j = k
		} else if k := nonSpaces(b, lit(b, j, " on ")); k >= 0 {
			j = k
		} else if k := lit(b, j, " [preauth]"); preauth && k >= 0 {
			j = k
		} else {
			return j
		}
	}
}

// addr reads (?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+ at i and
// returns where it ends, or -1. At most one of the two can start at i
// (after up to three digits, a dot or a colon decides), and only the
// longest digit or hex run can be followed by a space or the end.
func addr(b []byte, i int) int {
	if i < 0 {
		return -1
	}
	j := i
	for n := 0; n < 4; n++ {
		e := digits(b, j)
		if e < 0 || e-j > 3 {
			break
		}
		if n == 3 {
			return e
		}
		if lit(b, e, ".") < 0 {
			break
		}
		j = e + 1
	}
	j = i
	for j < len(b) && isHex(b[j]) {
		j++
	}
	colon := lit(b, j, ":")
	if colon < 0 {
		return -1
	}
	j = colon
	for j < len(b) && (isHex(b[j]) || b[j] == ':' || b[j] == '.') {
		j++
	}
	if j == colon {
		return -1
	}
	return j
}

// lit returns the index after s when b[i:] starts with s, else -1 (also
// when i is -1, so calls chain).
func lit(b []byte, i int, s string) int {
	if i >= 0 && len(b)-i >= len(s) && string(b[i:i+len(s)]) == s {
		return i + len(s)
	}
	return -1
}

// isSpace is \s: [\t\n\f\r ].
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

// nonSpaces returns the end of the \S+ run at i, or -1 if there is none.
func nonSpaces(b []byte, i int) int {
	if j := nonSpaces0(b, i); j > i {
		return j
	}
	return -1
}

// nonSpaces0 returns the end of the \S* run at i.
func nonSpaces0(b []byte, i int) int {
	if i < 0 {
		return -1
	}
	for i < len(b) && !isSpace(b[i]) {
		i++
	}
	return i
}

// spaces1 returns the end of the \s+ run at i, or -1 if there is none.
func spaces1(b []byte, i int) int {
	if j := spaces(b, i); j > i {
		return j
	}
	return -1
}

// spaces returns the end of the \s* run at i.
func spaces(b []byte, i int) int {
	if i < 0 {
		return -1
	}
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// digits returns the end of the \d+ run at i, or -1 if there is none.
func digits(b []byte, i int) int {
	if j := digits0(b, i); j > i {
		return j
	}
	return -1
}

// digits0 returns the end of the \d* run at i.
func digits0(b []byte, i int) int {
	if i < 0 {
		return -1
	}
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

// set records group g's span.
func set(m []int, g, start, end int) { m[2*g], m[2*g+1] = start, end }
