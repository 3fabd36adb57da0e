package wizard

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hyper-nixos/hv/nix"
	feat "github.com/hyper-nixos/hv/security/features"
)

// Answers are what the operator chose so far. They are saved after every
// step, so that an interrupted wizard resumes where it stopped.
type Answers struct {
	Level     string `json:"level"`
	Group     string `json:"group"`
	Users     string `json:"users"` // as typed: names separated by commas or spaces
	Network   string `json:"network"`
	Uplink    string `json:"uplink"`
	Subnet    string `json:"subnet"`
	ImagesDir string `json:"images_dir"`
	Preset    string `json:"preset"` // a preset id, or keepSelection
	Phase     string `json:"phase"`
}

// Network modes, and the feature each one turns on.
const (
	NAT      = "nat"
	Bridge   = "bridge"
	Isolated = "isolated"
)

var networkFeature = map[string]string{NAT: "nat-network", Bridge: "bridge-uplink", Isolated: "isolated-networks"}

// keepSelection keeps the features of the host file the wizard started from.
const keepSelection = "keep"

// storageFeature keeps VM disks in a directory pool at ImagesDir.
const storageFeature = "dir-pool"

// defaults are the answers for a host file: its own values, and the
// schema's defaults for a new host.
func defaults(h *nix.Host, fresh bool) Answers {
	a := Answers{Group: h.Operators.Group, Users: strings.Join(h.Operators.Users, ", "), Network: NAT,
		Uplink: h.Network.Uplink, Subnet: h.Network.NATSubnet, ImagesDir: h.Storage.ImagesDir, Phase: h.Phase, Preset: keepSelection}
	switch {
	case slices.Contains(h.Features, networkFeature[Bridge]):
		a.Network = Bridge
	case !slices.Contains(h.Features, networkFeature[NAT]) && slices.Contains(h.Features, networkFeature[Isolated]):
		a.Network = Isolated
	}
	if fresh {
		a.Preset, a.Phase = "cautious", ""
	}
	return a
}

// UserList is the users typed, in order, once each.
func (a Answers) UserList() []string {
	var out []string
	for _, u := range strings.FieldsFunc(a.Users, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// Selection is the features the answers choose: the preset's (or the
// base file's), with the network mode's feature and the directory pool.
func (a Answers) Selection(c *feat.Catalog, base *nix.Host) []string {
	sel := slices.Clone(base.Features)
	if p, ok := c.Preset(a.Preset); ok {
		sel = slices.Clone(p.Features)
	}
	for _, id := range []string{networkFeature[a.Network], storageFeature} {
		if id != "" && !slices.Contains(sel, id) {
			sel = append(sel, id)
		}
	}
	return sel
}

// PresetPhase is the phase the chosen preset suggests, or "".
func (a Answers) PresetPhase(c *feat.Catalog) string {
	if p, ok := c.Preset(a.Preset); ok {
		return p.Phase
	}
	return ""
}

// Host is base with the answers applied: the host file the wizard writes.
func (a Answers) Host(c *feat.Catalog, base *nix.Host) *nix.Host {
	h := *base
	h.Features = a.Selection(c, base)
	h.Phase = a.Phase
	h.Operators.Group, h.Operators.Users = a.Group, a.UserList()
	if h.Operators.Users == nil {
		h.Operators.Users = []string{}
	}
	h.Network.NATSubnet, h.Storage.ImagesDir = a.Subnet, a.ImagesDir
	h.Network.Uplink = ""
	if a.Network == Bridge {
		h.Network.Uplink = a.Uplink
	} else if base.Network.Uplink != "" {
		h.Network.Uplink = base.Network.Uplink // VLANs and SR-IOV may use it
	}
	return &h
}

// progress is the saved state of an interrupted wizard.
type progress struct {
	Version int     `json:"version"`
	Step    string  `json:"step"`
	Answers Answers `json:"answers"`
}

const progressVersion = 1

// loadProgress reads saved progress; none is (nil, nil).
func loadProgress(path string) (*progress, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p progress
	if err := json.Unmarshal(data, &p); err != nil || p.Version != progressVersion {
		return nil, fmt.Errorf("the saved progress %s is unreadable, so the wizard starts over", path)
	}
	return &p, nil
}

// saveProgress writes the progress, readable by its owner only.
func saveProgress(path string, p progress) error {
	if path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, _ := json.MarshalIndent(p, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
