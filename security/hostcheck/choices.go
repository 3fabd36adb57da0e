package hostcheck

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Interface is a network interface of the host.
type Interface struct {
	Name     string
	Physical bool   // backed by a device (not a bridge, tap, veth or loopback)
	State    string // operstate: up, down, unknown
	MAC      string
}

// Interfaces lists the host's network interfaces from netDir
// (/sys/class/net), physical ones first: the candidates for a bridge's
// uplink. Loopback, bridges (an uplink is what a bridge is built on) and
// the taps libvirt makes are left out.
func Interfaces(netDir string) ([]Interface, error) {
	entries, err := os.ReadDir(netDir)
	if err != nil {
		return nil, err
	}
	var out []Interface
	for _, e := range entries {
		name := e.Name()
		if name == "lo" || strings.HasPrefix(name, "virbr") || strings.HasPrefix(name, "vnet") || strings.HasPrefix(name, "tap") {
			continue
		}
		dir := filepath.Join(netDir, name)
		target, _ := os.Readlink(dir)
		if _, err := os.Stat(filepath.Join(dir, "bridge")); err == nil {
			continue
		}
		_, devErr := os.Stat(filepath.Join(dir, "device"))
		in := Interface{Name: name, State: readLine(filepath.Join(dir, "operstate")), MAC: readLine(filepath.Join(dir, "address")),
			Physical: devErr == nil || (target != "" && !strings.Contains(target, "/virtual/"))}
		out = append(out, in)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Physical != out[j].Physical {
			return out[i].Physical
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func readLine(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// Users are the local accounts of people (uid 1000 and up, and root), by
// name, from passwd (/etc/passwd). Accounts from LDAP or created later by
// NixOS are not there: a name missing here is a warning, not an error.
func Users(passwd string) (map[string]bool, error) {
	data, err := os.ReadFile(passwd)
	if err != nil {
		return nil, err
	}
	users := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 3 {
			continue
		}
		uid, err := strconv.Atoi(f[2])
		if err == nil && (uid == 0 || (uid >= 1000 && uid < 65534)) {
			users[f[0]] = true
		}
	}
	return users, sc.Err()
}
