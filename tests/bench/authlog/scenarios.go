package main

import (
	"fmt"
	"strings"
)

// newConn makes one SSH connection's lines, from a weighted choice of
// what happens on a real host facing the Internet.
func (g *gen) newConn() *conn {
	g.conns++
	c := &conn{prog: "sshd", pid: g.nextPID, ip: g.attackers[g.r.IntN(len(g.attackers))]}
	g.nextPID += 1 + g.r.IntN(3) // pids are never reused within the file
	if g.r.IntN(100) < 15 && !g.classic {
		c.prog, c.session = "sshd-session", true
		g.sessionConns++
	}
	port := 1024 + g.r.IntN(64000)
	ip := c.ip
	at := func(s string) string { return fmt.Sprintf("%s port %d", s, port) }
	add := func(l line) { c.lines = append(c.lines, l) }
	if g.r.IntN(100) < 20 { // LogLevel VERBOSE
		add(line{msg: fmt.Sprintf("Connection from %s on 192.0.2.10 port 22 rdomain \"\"", at(ip)), kind: nofail, ip: ip})
	}
	pam := func(user string) line {
		l := line{msg: "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=" + ip, kind: nofail, ip: ip}
		if user != "" {
			l.msg += "  user=" + user
			l.user = user
		}
		return l
	}
	closed := func(who, user string) line {
		// who: "invalid user ", "authenticating user " or "".
		if who == "" {
			return line{msg: fmt.Sprintf("Connection closed by %s [preauth]", at(ip)), kind: nofail, ip: ip, forget: true}
		}
		return line{msg: fmt.Sprintf("Connection closed by %s%s %s [preauth]", who, user, at(ip)), kind: nofail, ip: ip, user: user, forget: true}
	}
	byeBye := func(who, user string) []line {
		return []line{
			{msg: fmt.Sprintf("Received disconnect from %s:11: Bye Bye [preauth]", at(ip)), kind: nofail, ip: ip, forget: true},
			{msg: fmt.Sprintf("Disconnected from %s%s %s [preauth]", who, user, at(ip)), kind: nofail, ip: ip, user: user, forget: true},
		}
	}
	end := func(who, user string) {
		if g.r.IntN(2) == 0 {
			add(closed(who, user))
		} else {
			for _, l := range byeBye(who, user) {
				add(l)
			}
		}
	}

	switch w := g.r.IntN(1000); {
	case w < 330, w >= 960 && w < 1000: // invalid user, password attempts
		user := g.users[g.r.IntN(len(g.users))]
		if w >= 960 && !g.classic { // a user name crafted to inject an address
			user = injected[g.r.IntN(len(injected))]
			g.injectedConns++
		}
		failedKind, f2bFailedUser := f2bFailedInvalid(user)
		add(line{msg: fmt.Sprintf("Invalid user %s from %s", user, at(ip)), kind: fail, ip: ip, user: user, hvFail: true})
		tries := 1 + g.r.IntN(6)
		for i := 0; i < tries; i++ {
			add(line{msg: "pam_unix(sshd:auth): check pass; user unknown"})
			add(pam(""))
			add(line{msg: fmt.Sprintf("Failed password for invalid user %s from %s ssh2", user, at(ip)), kind: failedKind, ip: ip, user: f2bFailedUser, hvFail: true})
		}
		if tries == 6 {
			add(line{msg: fmt.Sprintf("error: maximum authentication attempts exceeded for invalid user %s from %s ssh2 [preauth]", user, at(ip)),
				kind: fail, ip: ip, user: "invalid user " + user, hvFail: true})
			add(line{msg: fmt.Sprintf("Disconnecting invalid user %s %s: Too many authentication failures [preauth]", user, at(ip))})
			add(line{msg: "PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=" + ip, ip: ip})
			return c
		}
		end("invalid user ", user)
	case w < 560: // root password guessing
		tries := 1 + g.r.IntN(6)
		for i := 0; i < tries; i++ {
			add(pam("root"))
			add(line{msg: fmt.Sprintf("Failed password for root from %s ssh2", at(ip)), kind: fail, ip: ip, user: "root", hvFail: true})
		}
		if tries == 6 {
			add(line{msg: fmt.Sprintf("error: maximum authentication attempts exceeded for root from %s ssh2 [preauth]", at(ip)), kind: fail, ip: ip, user: "root", hvFail: true})
			add(line{msg: fmt.Sprintf("Disconnecting authenticating user root %s: Too many authentication failures [preauth]", at(ip))})
			add(line{msg: "PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=" + ip + "  user=root", ip: ip})
			return c
		}
		end("authenticating user ", "root")
	case w < 640: // keyboard-interactive through PAM: two failure lines per try
		user := []string{"root", "admin", "backup"}[g.r.IntN(3)]
		tries := 1 + g.r.IntN(3)
		for i := 0; i < tries; i++ {
			add(pam(user))
			add(line{msg: "error: PAM: Authentication failure for " + user + " from " + ip, kind: fail, ip: ip, user: user, hvFail: true})
			add(line{msg: fmt.Sprintf("Failed keyboard-interactive/pam for %s from %s ssh2", user, at(ip)), kind: fail, ip: ip, user: user, hvFail: true})
		}
		end("authenticating user ", user)
	case w < 760: // scanners
		switch g.r.IntN(4) {
		case 0:
			add(line{msg: fmt.Sprintf("Did not receive identification string from %s", at(ip)), ip: ip, forget: true})
		case 1:
			add(line{msg: "error: kex_exchange_identification: Connection closed by remote host"})
			add(closed("", ""))
		case 2:
			add(line{msg: fmt.Sprintf("banner exchange: Connection from %s: invalid format", at(ip)), ip: ip})
		case 3:
			add(line{msg: fmt.Sprintf("Unable to negotiate with %s: no matching host key type found. Their offer: ssh-rsa,ssh-dss [preauth]", at(ip)), ip: ip})
		}
	case w < 860: // a legitimate login
		user := []string{"alice", "bob", "ops"}[g.r.IntN(3)]
		ip = []string{"198.51.100.7", "198.51.100.8", "198.51.100.9"}[g.r.IntN(3)]
		c.ip = ip
		at = func(s string) string { return fmt.Sprintf("%s port %d", s, port) }
		if g.r.IntN(3) == 0 { // another key was offered first
			add(line{msg: fmt.Sprintf("Failed publickey for %s from %s ssh2: RSA SHA256:%s", user, at(ip), g.fingerprint()), kind: nofail, ip: ip, user: user})
		}
		add(line{msg: fmt.Sprintf("Accepted publickey for %s from %s ssh2: ED25519 SHA256:%s", user, at(ip), g.fingerprint()), kind: gained, ip: ip, user: user, forget: true})
		add(line{msg: fmt.Sprintf("pam_unix(sshd:session): session opened for user %s(uid=1000) by (uid=0)", user)})
		add(line{msg: fmt.Sprintf("Received disconnect from %s:11: disconnected by user", at(ip)), kind: nofail, ip: ip, forget: true})
		add(line{msg: fmt.Sprintf("Disconnected from user %s %s", user, at(ip)), ip: ip, forget: true})
		add(line{msg: "pam_unix(sshd:session): session closed for user " + user})
	case w < 880: // an account that is locked: the failure comes before any address
		add(line{msg: "User games not allowed because account is locked", kind: fail, user: "games", hvFail: true})
		add(closed("authenticating user ", "games"))
	case w < 900: // AllowUsers
		add(line{msg: fmt.Sprintf("User mail from %s not allowed because not listed in AllowUsers", ip), kind: fail, ip: ip, user: "mail", hvFail: true})
		add(closed("invalid user ", "mail"))
	case w < 910:
		add(line{msg: "ROOT LOGIN REFUSED FROM " + ip, kind: fail, ip: ip, user: "ROOT", hvFail: true})
		add(closed("", ""))
	case w < 925: // a client library that reports its own failure
		add(line{msg: fmt.Sprintf("Received disconnect from %s:3: com.jcraft.jsch.JSchException: Auth fail [preauth]", at(ip)), kind: fail, ip: ip, forget: true, hvFail: true})
	case w < 940: // the old wording of too many failures
		add(pam("root"))
		add(line{msg: fmt.Sprintf("Failed password for root from %s ssh2", at(ip)), kind: fail, ip: ip, user: "root", hvFail: true})
		add(line{msg: "Disconnecting: Too many authentication failures [preauth]", kind: fail, hvFail: true})
	case w < 950:
		add(line{msg: fmt.Sprintf("Disconnecting authenticating user root %s: Change of username or service not allowed: (root,ssh-connection) -> (admin,ssh-connection) [preauth]", at(ip)),
			kind: fail, ip: ip, user: "root", forget: true, hvFail: true})
	default: // a public key offered for a user that does not exist
		user := g.users[g.r.IntN(len(g.users))]
		add(line{msg: fmt.Sprintf("Invalid user %s from %s", user, at(ip)), kind: fail, ip: ip, user: user, hvFail: true})
		add(line{msg: fmt.Sprintf("Failed publickey for invalid user %s from %s ssh2: RSA SHA256:%s", user, at(ip), g.fingerprint()), kind: fail, ip: ip, user: user, hvFail: true})
		end("invalid user ", user)
	}
	return c
}

func (g *gen) fingerprint() string {
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var b strings.Builder
	for i := 0; i < 43; i++ {
		b.WriteByte(b64[g.r.IntN(64)])
	}
	return b.String()
}

// noise is a line from another program of a virtualisation host.
func (g *gen) noise() string {
	pid := 200 + g.r.IntN(30000)
	vms := []string{"web-01", "web-02", "db-primary", "ci-runner", "k8s-node-1"}
	vm := vms[g.r.IntN(len(vms))]
	src := g.attackers[g.r.IntN(len(g.attackers))]
	switch g.r.IntN(24) {
	case 0, 1, 2:
		return fmt.Sprintf("CRON[%d]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)", pid)
	case 3, 4:
		return fmt.Sprintf("CRON[%d]: pam_unix(cron:session): session closed for user root", pid)
	case 5:
		return fmt.Sprintf("CRON[%d]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)", pid)
	case 6, 7:
		return fmt.Sprintf("systemd-logind[512]: New session %d of user alice.", pid)
	case 8:
		return fmt.Sprintf("systemd-logind[512]: Session %d logged out. Waiting for processes to exit.", pid)
	case 9:
		return fmt.Sprintf("sudo[%d]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/virsh list --all", pid)
	case 10:
		return fmt.Sprintf("sudo[%d]: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)", pid)
	case 11:
		return fmt.Sprintf("kernel: [%d.%06d] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=%s DST=192.0.2.10 LEN=44 TOS=0x00 PREC=0x00 TTL=243 ID=54321 PROTO=TCP SPT=%d DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0",
			g.r.IntN(900000), g.r.IntN(999999), src, 1024+g.r.IntN(60000), []int{23, 3389, 5900, 445, 8080}[g.r.IntN(5)])
	case 12:
		return fmt.Sprintf("polkitd[%d]: Registered Authentication Agent for unix-process:%d:1234 (system bus name :1.%d [/usr/bin/pkttyagent --notify-fd 5 --fallback], object path /org/freedesktop/PolicyKit1/AuthenticationAgent, locale en_US.UTF-8)", 600, pid, pid)
	case 13:
		return fmt.Sprintf("libvirtd[%d]: Domain id=%d name='%s' uuid=1be1faf5-2dd2-55aa-8e6d-061331e1304b is tainted: host-cpu", 900, g.r.IntN(100), vm)
	case 14:
		return fmt.Sprintf("systemd[1]: Started session-%d.scope - Session %d of User alice.", pid, pid)
	case 15:
		return "systemd[1]: Starting systemd-tmpfiles-clean.service - Cleanup of Temporary Directories..."
	case 16:
		return fmt.Sprintf("sudo[%d]:      bob : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash", pid)
	case 17:
		return fmt.Sprintf("su[%d]: pam_unix(su:auth): authentication failure; logname=bob uid=1001 euid=0 tty=pts/1 ruser=bob rhost=  user=root", pid)
	case 18:
		return fmt.Sprintf("polkitd[600]: Operator of unix-session:%d FAILED to authenticate to gain authorization for action org.libvirt.unix.manage for unix-process:%d:77 [virsh] (owned by unix-user:bob)", pid%90, pid)
	case 19:
		return fmt.Sprintf("libvirtd[900]: internal error: qemu unexpectedly closed the monitor: 2026-11-01T00:00:00.000000Z qemu-system-x86_64: -drive file=/var/lib/libvirt/images/%s.qcow2: Could not open", vm)
	case 20:
		return fmt.Sprintf("kernel: [%d.%06d] audit: type=1400 audit(1700000000.123:%d): apparmor=\"DENIED\" operation=\"open\" profile=\"libvirt-1be1faf5-2dd2-55aa-8e6d-061331e1304b\" name=\"/etc/shadow\" pid=%d comm=\"qemu-system-x86\" requested_mask=\"r\" denied_mask=\"r\" fsuid=64055 ouid=0",
			g.r.IntN(900000), g.r.IntN(999999), pid, pid)
	case 21:
		return fmt.Sprintf("useradd[%d]: new user: name=svc%d, UID=%d, GID=%d, home=/home/svc, shell=/bin/bash, from=/dev/pts/0", pid, pid%100, 1000+pid%100, 1000+pid%100)
	case 22:
		return fmt.Sprintf("kernel: [%d.%06d] Out of memory: Killed process %d (qemu-system-x86) total-vm:8388608kB, anon-rss:4194304kB, file-rss:0kB, shmem-rss:0kB, UID:64055 pgtables:9000kB oom_score_adj:0", g.r.IntN(900000), g.r.IntN(999999), pid)
	default:
		return fmt.Sprintf("systemd[1]: session-%d.scope: Deactivated successfully.", pid)
	}
}

// f2bFailedInvalid is how fail2ban's "Failed <method> for" regex reads
// "Failed password for invalid user NAME from ...". Its invalid-user branch
// stops NAME at the first " from "; its other branch takes everything up
// to the address, "invalid user " included, but no colon. So a NAME with
// " from " looks like another user, and one with a colon (an IPv6 address)
// is not matched at all: fail2ban misses that failure.
func f2bFailedInvalid(name string) (kind, string) {
	switch {
	case strings.Contains(name, ":"):
		return none, ""
	case strings.Contains(name, " from "):
		return fail, "invalid user " + name
	}
	return fail, name
}
