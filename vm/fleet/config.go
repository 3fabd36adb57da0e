package fleet

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/hyper-nixos/hv/vm"
	"github.com/hyper-nixos/hv/vm/remote"
)

// Entry is a host as a list names it, NAME=ADDRESS: the operator's
// hosts.toml and the host file's hosts.peers write them so.
type Entry struct {
	Name    string
	Address string // ssh://[USER@]HOST[:PORT], or unix://PATH for a daemon's socket here
}

// ParseEntry reads NAME=ADDRESS.
func ParseEntry(s string) (Entry, error) {
	name, addr, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok || name == "" || addr == "" {
		return Entry{}, fmt.Errorf("%q is not NAME=ADDRESS (e.g. hv2=ssh://alice@hv2.example.org)", s)
	}
	if err := vm.ValidName("host", name); err != nil || strings.ContainsAny(name, " :") {
		return Entry{}, fmt.Errorf("%q: a host name is letters, digits, '.' and '-'", s)
	}
	if _, _, err := Dialer(addr); err != nil {
		return Entry{}, err
	}
	return Entry{Name: name, Address: addr}, nil
}

// ParseEntries reads a list of NAME=ADDRESS.
func ParseEntries(list []string) ([]Entry, error) {
	var out []Entry
	var errs []error
	for _, s := range list {
		e, err := ParseEntry(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, e)
	}
	return out, errors.Join(errs...)
}

// Dialer reaches the daemon at address: over SSH, or a socket here.
func Dialer(address string) (remote.Dialer, string, error) {
	switch {
	case strings.HasPrefix(address, "ssh://"):
		a, err := remote.ParseAddress(address)
		if err != nil {
			return nil, "", err
		}
		return remote.SSH(a), a.String(), nil
	case strings.HasPrefix(address, "unix://"), strings.HasPrefix(address, "/"):
		path := strings.TrimPrefix(address, "unix://")
		return remote.Unix(path), path, nil
	}
	return nil, "", fmt.Errorf("%q is not a host address: write ssh://[USER@]HOST[:PORT] or unix:///PATH/TO/hv.sock", address)
}

// config is the operator's hosts.toml.
type config struct {
	Hosts []string `toml:"hosts"`
}

// ConfigHelp says what the operator's hosts file holds.
const ConfigHelp = `hosts = ["hv2=ssh://alice@hv2.example.org", "lab=ssh://lab.example.org:2222"]`

// LoadConfig reads the operator's list of hosts at path (none when the
// file does not exist).
func LoadConfig(path string) ([]Entry, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c config
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w (it holds one line: %s)", path, err, ConfigHelp)
	}
	entries, err := ParseEntries(c.Hosts)
	if err != nil {
		return entries, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

// Merge joins lists of hosts; a name a list has already keeps its first
// address (the operator's own list goes first).
func Merge(lists ...[]Entry) []Entry {
	var out []Entry
	seen := map[string]bool{}
	for _, l := range lists {
		for _, e := range l {
			if k := strings.ToLower(e.Name); !seen[k] {
				seen[k] = true
				out = append(out, e)
			}
		}
	}
	return out
}
