package nix

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/pelletier/go-toml/v2"
)

// HostVersion is the host-file schema this hv reads and writes.
const HostVersion = 1

// Host is the host file: the operator's choices for this machine. Field
// meanings and defaults are in host-schema.toml; what values must look like
// is checked by security/features, by the schema's rules, as the NixOS
// module checks them.
type Host struct {
	Version     int         `toml:"version"`
	Phase       string      `toml:"phase"`
	Features    []string    `toml:"features,multiline"` // one a line: diffs read well
	Meta        Meta        `toml:"meta"`
	Libvirt     Libvirt     `toml:"libvirt"`
	Operators   Operators   `toml:"operators"`
	Network     Network     `toml:"network"`
	Storage     Storage     `toml:"storage"`
	Passthrough Passthrough `toml:"passthrough"`
	Access      Access      `toml:"access"`
	Hosts       Hosts       `toml:"hosts,omitempty"` // left out while empty: daemons before it refuse the key
	Monitoring  Monitoring  `toml:"monitoring"`
}

// Meta records who last wrote the file. Times are RFC 3339 strings, never
// TOML datetimes, which Nix cannot read.
type Meta struct {
	Updated   string `toml:"updated"`
	UpdatedBy string `toml:"updated_by"`
}

type Libvirt struct {
	URI string `toml:"uri"`
}

// Operators are the group that polkit lets manage libvirt and start the
// apply service, and the users in it.
type Operators struct {
	Group string   `toml:"group"`
	Users []string `toml:"users"`
}

type Network struct {
	Uplink    string `toml:"uplink"`
	NATSubnet string `toml:"nat_subnet"`
	VLANs     []int  `toml:"vlans"`
}

type Storage struct {
	ImagesDir         string   `toml:"images_dir"`
	PoolRoots         []string `toml:"pool_roots"`
	SharesDir         string   `toml:"shares_dir"`
	LVMVolumeGroup    string   `toml:"lvm_volume_group"`
	ZFSPool           string   `toml:"zfs_pool"`
	BackupDir         string   `toml:"backup_dir"`
	OffsiteRepository string   `toml:"offsite_repository"`
}

type Passthrough struct {
	PCIIDs   []string `toml:"pci_ids"`
	SRIOVVFs int      `toml:"sriov_vfs"`
}

type Access struct {
	LDAPURI  string `toml:"ldap_uri"`
	LDAPBase string `toml:"ldap_base"`
}

// Hosts are the other hv hosts this one knows, each "HOSTNAME=ssh://ADDRESS".
type Hosts struct {
	Peers []string `toml:"peers"`
}

type Monitoring struct {
	LogTarget string `toml:"log_target"`
}

// NewHost returns a host file of the current version with every default.
func NewHost(phase string, features []string) *Host {
	h := defaults()
	h.Version, h.Phase, h.Features = HostVersion, phase, features
	return h
}

func defaults() *Host {
	var h Host
	if err := decodeStrict("the host-file defaults", defaultsTOML(), &h); err != nil {
		panic(err) // built from the embedded schema; TestSchemaMatchesHost keeps them in step
	}
	return &h
}

// ErrVersion means the host file is of a schema this hv does not know.
var ErrVersion = errors.New("unsupported host-file version")

// DecodeHost reads a host file strictly: syntax, types, unknown keys,
// datetimes, the version and the required keys. Errors are FileErrors
// naming "the host file"; callers add the path.
func DecodeHost(data []byte) (*Host, error) {
	const what = "the host file"
	if err := rejectDatetimes(what, data); err != nil {
		return nil, err
	}
	// A loose first pass: a newer file has keys this hv does not know, and
	// "upgrade hv" is a better answer than "unknown key".
	var loose map[string]any
	if err := toml.Unmarshal(data, &loose); err != nil {
		return nil, decodeError(what, err)
	}
	if err := checkVersion(what, loose["version"]); err != nil {
		return nil, err
	}
	for _, k := range []string{"phase", "features"} {
		if _, ok := loose[k]; !ok {
			return nil, &FileError{What: what, Problem: fmt.Sprintf("%q is missing", k),
				Remedy: fmt.Sprintf("add %s at the top of the file (see nix/README.md)", requiredExample[k])}
		}
	}
	h := defaults()
	if err := decodeStrict(what, data, h); err != nil {
		return nil, err
	}
	h.Features = canonical(h.Features)
	return h, nil
}

// canonical is the one order features are held and written in, whatever
// order they were chosen or typed in: a diff of two host files shows what
// changed, not what moved.
func canonical(features []string) []string {
	out := slices.Clone(features)
	slices.Sort(out)
	return out
}

var requiredExample = map[string]string{
	"phase":    `phase = "setup"`,
	"features": `features = []`,
}

func checkVersion(what string, v any) error {
	n, ok := v.(int64)
	switch {
	case v == nil:
		return &FileError{What: what, Problem: "\"version\" is missing",
			Remedy: fmt.Sprintf("add version = %d at the top of the file", HostVersion)}
	case !ok:
		return &FileError{What: what, Problem: fmt.Sprintf("\"version\" must be an integer, not %T", v),
			Remedy: fmt.Sprintf("write version = %d", HostVersion)}
	case n > HostVersion:
		return &FileError{What: what, Err: ErrVersion,
			Problem: fmt.Sprintf("version %d is newer than this hv understands (%d)", n, HostVersion),
			Remedy:  "upgrade hv to the release that wrote this file; hv will not change it meanwhile"}
	case n != HostVersion:
		return &FileError{What: what, Err: ErrVersion,
			Problem: fmt.Sprintf("version %d is not a host-file version hv knows (it knows %d)", n, HostVersion),
			Remedy:  fmt.Sprintf("set version = %d if the file follows that schema; hv will not change it meanwhile", HostVersion)}
	}
	return nil
}

// hostHeader starts every host file hv writes.
const hostHeader = `# Hyper-NixOS host file: the choices of this host's operators.
# Written by hv ('hv features', the Features screen); read by the NixOS module
# (services.hyper-nixos) with builtins.fromTOML. Edit with care: hv and the
# module check it the same way. Schema: nix/README.md.

`

// EncodeHost writes h as TOML that DecodeHost and builtins.fromTOML read back
// to the same values.
func EncodeHost(h *Host) ([]byte, error) {
	sorted := *h
	sorted.Features = canonical(h.Features)
	h = &sorted
	var buf bytes.Buffer
	buf.WriteString(hostHeader)
	enc := toml.NewEncoder(&buf)
	enc.SetIndentTables(false)
	enc.SetArraysMultiline(false)
	if err := enc.Encode(h); err != nil {
		return nil, fmt.Errorf("encoding the host file: %w", err)
	}
	return buf.Bytes(), nil
}
