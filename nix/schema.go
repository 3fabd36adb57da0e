package nix

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"github.com/pelletier/go-toml/v2"
)

// HostSchemaTOML describes the optional host-file settings; the NixOS
// module reads the same file.
//
//go:embed host-schema.toml
var HostSchemaTOML []byte

// HostSchema is host-schema.toml: one entry per optional setting.
type HostSchema struct {
	Schema   int           `toml:"schema"`
	Settings []SettingSpec `toml:"setting"`
}

// SettingSpec is one [[setting]]; host-schema.toml's header documents it.
type SettingSpec struct {
	Path        string `toml:"path"`
	Type        string `toml:"type"` // string, strings, int, ints
	Default     any    `toml:"default"`
	Pattern     string `toml:"pattern"`
	What        string `toml:"what"`
	Example     string `toml:"example"`
	Min         *int64 `toml:"min"`
	Max         *int64 `toml:"max"`
	Unique      bool   `toml:"unique"`
	Description string `toml:"description"`
}

// Setting returns the spec of a setting path such as "network.uplink".
func (s *HostSchema) Setting(path string) (SettingSpec, bool) {
	for _, st := range s.Settings {
		if st.Path == path {
			return st, true
		}
	}
	return SettingSpec{}, false
}

// BuiltinHostSchema is the embedded schema.
var BuiltinHostSchema = sync.OnceValue(func() *HostSchema {
	var s HostSchema
	if err := decodeStrict("the host-file schema", HostSchemaTOML, &s); err != nil {
		panic(err) // embedded at build time; the nix tests keep it valid
	}
	return &s
})

// defaultsTOML renders the schema's defaults as a host file without the
// required keys, so that decoding a host file over it fills the rest.
var defaultsTOML = sync.OnceValue(func() []byte {
	sections := map[string]map[string]any{}
	for _, st := range BuiltinHostSchema().Settings {
		sec, key, ok := strings.Cut(st.Path, ".")
		if !ok {
			panic(fmt.Sprintf("host-file schema: setting %q is not section.key", st.Path))
		}
		if sections[sec] == nil {
			sections[sec] = map[string]any{}
		}
		sections[sec][key] = st.Default
	}
	data, err := toml.Marshal(sections)
	if err != nil {
		panic(err)
	}
	return data
})

// Values returns h as nested maps, the shape Nix sees after fromTOML:
// strings, int64s and []any of them. Checks walk this, as the module does.
func (h *Host) Values() map[string]any {
	data, err := toml.Marshal(h)
	if err != nil {
		panic(err) // a Host always encodes
	}
	var m map[string]any
	if err := toml.Unmarshal(data, &m); err != nil {
		panic(err)
	}
	return m
}

// Lookup returns the value at a path such as "network.uplink" in Values.
func Lookup(values map[string]any, path string) (any, bool) {
	sec, key, _ := strings.Cut(path, ".")
	m, ok := values[sec].(map[string]any)
	if !ok {
		return nil, false
	}
	v, ok := m[key]
	return v, ok
}
