package nix

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "hosts", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestHostRoundTrip(t *testing.T) {
	h, err := DecodeHost(readTestdata(t, "full.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if h.Network.Uplink != "enp3s0" || !reflect.DeepEqual(h.Network.VLANs, []int{10, 20}) || h.Passthrough.SRIOVVFs != 4 {
		t.Errorf("decoded %+v", h)
	}
	data, err := EncodeHost(h)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeHost(data)
	if err != nil {
		t.Fatalf("hv cannot read back what it wrote: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(h, back) {
		t.Errorf("round trip changed the host file:\n%+v\n%+v", h, back)
	}
}

func TestMinimalHostTakesDefaults(t *testing.T) {
	h, err := DecodeHost(readTestdata(t, "minimal.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if h.Libvirt.URI != "qemu:///system" || h.Operators.Group != "hvoperators" || h.Storage.ImagesDir != "/var/lib/libvirt/images" {
		t.Errorf("defaults not applied: %+v", h)
	}
	if !reflect.DeepEqual(h, NewHost("setup", []string{})) {
		t.Errorf("a minimal file should equal NewHost:\n%+v\n%+v", h, NewHost("setup", []string{}))
	}
}

// TestDecodeHostErrors: every bad file is refused with where and why.
func TestDecodeHostErrors(t *testing.T) {
	const head = "version = 1\nphase = \"setup\"\nfeatures = []\n"
	tests := []struct {
		name, data   string
		line, column int
		want         string // in the message
		is           error
	}{
		{"corrupt TOML", head + "[network\nuplink = \"x\"\n", 4, 9, "expected ']'", nil},
		{"unterminated string", "version = 1\nphase = \"setup\n", 2, 15, "new lines", nil},
		{"unknown key", head + "[network]\nuplnk = \"eth0\"\n", 5, 1, `unknown key "network.uplnk"`, nil},
		{"unknown section", head + "[gpu]\nx = 1\n", 4, 2, `unknown key "gpu"`, nil},
		{"wrong type", head + "[network]\nvlans = \"10\"\n", 5, 9, `"network.vlans" must be a list of integers, not a TOML string`, nil},
		{"datetime", head + "[meta]\nupdated = 2026-11-26T12:00:00Z\n", 5, 11, "TOML date or time", nil},
		{"local date in a list", head + "[operators]\nusers = [\"a\", 2026-11-26]\n", 5, 15, "TOML date or time", nil},
		{"time in an inline table", head + "x = { at = 12:00:00 }\n", 4, 12, "TOML date or time", nil},
		{"no version", "phase = \"setup\"\nfeatures = []\n", 0, 0, `"version" is missing`, nil},
		{"version as a string", "version = \"1\"\nphase = \"setup\"\nfeatures = []\n", 0, 0, `"version" must be an integer`, nil},
		{"newer version", "version = 2\nphase = \"setup\"\nfeatures = []\n[newthing]\nx = 1\n", 0, 0, "newer than this hv", ErrVersion},
		{"older version", "version = 0\nphase = \"setup\"\nfeatures = []\n", 0, 0, "not a host-file version", ErrVersion},
		{"no phase", "version = 1\nfeatures = []\n", 0, 0, `"phase" is missing`, nil},
		{"no features", "version = 1\nphase = \"setup\"\n", 0, 0, `"features" is missing`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeHost([]byte(tt.data))
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a FileError", err)
			}
			if fe.Line != tt.line || fe.Column != tt.column {
				t.Errorf("position %d:%d, want %d:%d (%v)", fe.Line, fe.Column, tt.line, tt.column, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
			if fe.Fix() == "" {
				t.Errorf("error %q says nothing about the fix", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
}

// TestSchemaMatchesHost keeps host-schema.toml and the Host struct in step,
// and the schema's own examples and defaults within its rules.
func TestSchemaMatchesHost(t *testing.T) {
	s := BuiltinHostSchema()
	h := NewHost("setup", nil)
	h.Hosts.Peers = []string{"hv2=ssh://hv2"} // an empty [hosts] is left out of the file
	values := h.Values()
	var fromStruct []string
	for sec, v := range values {
		if m, ok := v.(map[string]any); ok {
			for k := range m {
				fromStruct = append(fromStruct, sec+"."+k)
			}
		}
	}
	var fromSchema []string
	for _, st := range s.Settings {
		fromSchema = append(fromSchema, st.Path)
		switch st.Type {
		case "string", "strings":
			if st.Pattern == "" || st.What == "" || st.Example == "" {
				t.Errorf("%s: a string setting needs pattern, what and example", st.Path)
			}
		case "int", "ints":
			if st.Min == nil || st.Max == nil {
				t.Errorf("%s: a number setting needs min and max", st.Path)
			}
		default:
			t.Errorf("%s: unknown type %q", st.Path, st.Type)
		}
		if st.Description == "" {
			t.Errorf("%s: no description", st.Path)
		}
	}
	slices.Sort(fromStruct)
	slices.Sort(fromSchema)
	if !reflect.DeepEqual(fromStruct, fromSchema) {
		t.Errorf("the Host struct has settings\n%v\nthe schema lists\n%v", fromStruct, fromSchema)
	}
}

// Features are written in one order, whatever order they were chosen in:
// a diff of two host files shows what changed, not what moved.
func TestFeaturesAreWrittenInOneOrder(t *testing.T) {
	a, err := EncodeHost(NewHost("setup", []string{"ssh", "audit", "uefi"}))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := EncodeHost(NewHost("setup", []string{"uefi", "ssh", "audit"}))
	if string(a) != string(b) {
		t.Errorf("the same features in another order are written differently:\n%s\n%s", a, b)
	}
	if !strings.Contains(string(a), "  'audit',\n  'ssh',\n  'uefi'\n]") {
		t.Errorf("features should be sorted:\n%s", a)
	}
}

// TestEmptyHostsAreNotWritten: a host file without peers has no [hosts]
// table, so that a daemon from before hosts.peers still reads what a newer
// hv stages; with peers, it is written.
func TestEmptyHostsAreNotWritten(t *testing.T) {
	h := NewHost("setup", nil)
	if data, err := EncodeHost(h); err != nil || strings.Contains(string(data), "[hosts]") {
		t.Errorf("no peers: %v\n%s", err, data)
	}
	h.Hosts.Peers = []string{"hv2=ssh://hv2.example.org"}
	data, err := EncodeHost(h)
	if err != nil || !strings.Contains(string(data), "[hosts]") {
		t.Fatalf("with a peer: %v\n%s", err, data)
	}
	back, err := DecodeHost(data)
	if err != nil || len(back.Hosts.Peers) != 1 {
		t.Errorf("read back: %+v %v", back.Hosts, err)
	}
}
