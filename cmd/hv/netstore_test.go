package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNetListAndShowJSON(t *testing.T) {
	code, out, errOut := hv(t, "net", "list", "--demo", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var nets []map[string]any
	if err := json.Unmarshal([]byte(out), &nets); err != nil || len(nets) != 2 {
		t.Fatalf("want two networks in JSON, got %v:\n%s", err, out)
	}
	for _, field := range []string{"name", "uuid", "active", "autostart", "persistent", "bridge", "mode", "ipv4", "dhcp_start", "dhcp_end", "used_by"} {
		if _, ok := nets[0][field]; !ok {
			t.Errorf("network JSON lacks %q: %v", field, nets[0])
		}
	}
	if nets[0]["name"] != "default" || nets[0]["mode"] != "nat" || nets[0]["autostart"] != true || len(nets[0]["used_by"].([]any)) != 13 {
		t.Errorf("default: %v", nets[0])
	}
	code, out, _ = hv(t, "net", "show", "default", "--demo", "--json")
	var show map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &show) != nil {
		t.Fatalf("net show --json: exit %d\n%s", code, out)
	}
	if show["leases"] == nil || show["leases_note"] != "this libvirt driver reports no DHCP leases" || show["ipv4"] != "192.168.122.1/24" {
		t.Errorf("net show default: %v", show)
	}
	code, out, _ = hv(t, "net", "show", "lab-isolated", "--demo")
	if code != 0 || !strings.Contains(out, "Mode:       isolated") || !strings.Contains(out, "DHCP:       10.10.0.100 - 10.10.0.200") {
		t.Errorf("net show lab-isolated: exit %d\n%s", code, out)
	}
}

func TestPoolListAndVolumesJSON(t *testing.T) {
	code, out, _ := hv(t, "pool", "list", "--demo", "--json")
	var pools []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &pools) != nil || len(pools) != 2 {
		t.Fatalf("pool list --json: exit %d\n%s", code, out)
	}
	for _, field := range []string{"name", "uuid", "type", "active", "autostart", "persistent", "path", "capacity_bytes", "allocation_bytes", "available_bytes", "used_by"} {
		if _, ok := pools[0][field]; !ok {
			t.Errorf("pool JSON lacks %q: %v", field, pools[0])
		}
	}
	if pools[1]["name"] != "fast-ssd" || pools[1]["capacity_bytes"] != float64(100<<30) {
		t.Errorf("fast-ssd: %v", pools[1])
	}
	code, out, _ = hv(t, "pool", "volumes", "fast-ssd", "--demo", "--json")
	var vols []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &vols) != nil || len(vols) != 8 {
		t.Fatalf("pool volumes --json: exit %d\n%s", code, out)
	}
	if vols[0]["name"] != "db-primary-data.qcow2" || vols[0]["format"] != "qcow2" || vols[0]["used_by"].([]any)[0] != "db-primary" {
		t.Errorf("first volume: %v", vols[0])
	}
	code, out, _ = hv(t, "pool", "list", "--demo")
	if code != 0 || !strings.Contains(out, "fast-ssd  active  yes        dir   100G  86G   14G   6    /var/lib/libvirt/fast-ssd") {
		t.Errorf("pool list:\n%s", out)
	}
}

// Each command runs on a fresh demo host, so changes are checked by the
// command's own output; the real tier chains them on one daemon.
func TestNetAndPoolChanges(t *testing.T) {
	tests := []struct {
		args []string
		out  string
	}{
		{[]string{"net", "define", "lab2", "--subnet", "10.99.0.0/24", "--start", "--autostart"}, "defined network lab2, started, starts with the host"},
		{[]string{"net", "define", "quiet", "--mode", "isolated"}, "defined network quiet"},
		{[]string{"net", "stop", "lab-isolated", "--yes"}, "stopped network lab-isolated"},
		{[]string{"net", "autostart", "lab-isolated", "on"}, "network lab-isolated starts with the host"},
		{[]string{"pool", "vol-create", "default", "data.qcow2", "--size", "1G"}, "created data.qcow2 (qcow2, 1G) at /var/lib/libvirt/images/data.qcow2"},
		{[]string{"pool", "vol-copy", "default", "dns-01.qcow2", "dns-02.qcow2"}, "copied dns-01.qcow2 to dns-02.qcow2"},
		{[]string{"pool", "stop", "fast-ssd", "--yes"}, "stopped pool fast-ssd"},
		{[]string{"pool", "autostart", "default", "off"}, "pool default no longer starts with the host"},
		{[]string{"pool", "define", "spare", "--path", "/srv/spare"}, "defined and started pool spare at /srv/spare"},
	}
	for _, tt := range tests {
		code, out, errOut := hv(t, append(tt.args, "--demo")...)
		if code != 0 || !strings.Contains(out, tt.out) {
			t.Errorf("hv %v: exit %d, stdout %q, stderr %q; want %q", tt.args, code, out, errOut, tt.out)
		}
	}
	code, out, _ := hv(t, "pool", "vol-create", "default", "raw.img", "--size", "512M", "--format", "raw", "--json", "--demo")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["format"] != "raw" || v["capacity_bytes"] != float64(512<<20) {
		t.Errorf("vol-create --json: exit %d\n%s", code, out)
	}
}

func TestNetAndPoolRefusals(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStderr []string
	}{
		{[]string{"net", "show", "nope"}, 1, []string{"not found", "fix: check the network's name with 'hv net list'"}},
		{[]string{"net", "define", "default", "--subnet", "10.99.0.0/24"}, 1, []string{"already exists", "pick another name"}},
		{[]string{"net", "define", "lab2", "--subnet", "192.168.122.0/25"}, 1, []string{"overlaps network default (192.168.122.1/24)"}},
		{[]string{"net", "define", "lab2", "--subnet", "300.1.1.0/24"}, 2, []string{"not an IPv4 subnet"}},
		{[]string{"net", "define", "-lab"}, 2, []string{"unknown shorthand flag"}},
		{[]string{"net", "define", "lab/2"}, 2, []string{"cannot contain '/'"}},
		{[]string{"net", "define", "lab2", "--mode", "bridge"}, 2, []string{`mode "bridge" is not offered`, "use nat or isolated", "see 'hv net define --help'"}},
		{[]string{"net", "start", "default"}, 1, []string{"not possible in its current state (it is active)"}},
		{[]string{"net", "stop", "default"}, 2, []string{"10 running VMs on network default lose their link: db-primary", "add --yes"}},
		{[]string{"net", "undefine", "lab-isolated"}, 1, []string{"it is active", "stop it first: hv net stop lab-isolated"}},
		{[]string{"net", "autostart", "default", "maybe"}, 2, []string{"on or off"}},
		{[]string{"net", "start"}, 2, []string{"takes NAME"}},
		{[]string{"pool", "show", "nope"}, 1, []string{"not found", "hv pool list"}},
		{[]string{"pool", "start", "default"}, 1, []string{"it is active"}},
		{[]string{"pool", "stop", "fast-ssd"}, 2, []string{"6 running VMs have disks in pool fast-ssd", "add --yes"}},
		{[]string{"pool", "vol-create", "fast-ssd", "big.qcow2", "--size", "50G"}, 1, []string{"not enough space in pool fast-ssd: needs 50G, has 14G"}},
		{[]string{"pool", "vol-create", "default", "web-01.qcow2", "--size", "1G"}, 1, []string{"already has a volume web-01.qcow2"}},
		{[]string{"pool", "vol-create", "default", "x", "--size", "lots"}, 2, []string{"is not a size"}},
		{[]string{"pool", "vol-create", "default", "x"}, 2, []string{"--size"}},
		{[]string{"pool", "vol-create", "nope", "x", "--size", "1G"}, 1, []string{"no pool is called nope", "hv pool list"}},
		{[]string{"pool", "vol-delete", "default", "web-01.qcow2"}, 1, []string{"it is a disk of web-01", "detach it"}},
		{[]string{"pool", "vol-delete", "default", "nothing", "--yes"}, 1, []string{"pool default has no volume nothing", "hv pool volumes default"}},
		{[]string{"pool", "vol-copy", "fast-ssd", "db-primary-data.qcow2", "copy.qcow2"}, 1, []string{"not enough space in pool fast-ssd: needs 250G"}},
		{[]string{"pool", "define", "spare"}, 2, []string{"needs --path"}},
		{[]string{"pool", "define", "spare", "--path", "images"}, 2, []string{"not a clean absolute directory"}},
		{[]string{"pool", "volumes", "default", "extra"}, 2, []string{"takes POOL"}},
		{[]string{"pool", "undefine", "default", "--yes", "--delete-dir"}, 1, []string{"it is active", "hv pool stop default"}},
	}
	for _, tt := range tests {
		code, out, errOut := hv(t, append(tt.args, "--demo")...)
		if code != tt.code {
			t.Errorf("hv %v: exit %d, want %d (stderr %q)", tt.args, code, tt.code, errOut)
		}
		for _, want := range tt.inStderr {
			if !strings.Contains(errOut, want) {
				t.Errorf("hv %v: stderr %q lacks %q", tt.args, errOut, want)
			}
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") != 0 || out != "" {
			t.Errorf("hv %v: one line on stderr and nothing on stdout; got stdout %q stderr %q", tt.args, out, errOut)
		}
	}
}

// A volume no VM uses, on a host of its own: deleting it wants the name
// typed at a terminal, or --yes from a script.
func TestVolDeleteAsksFirst(t *testing.T) {
	uri := "test://" + writeHost(t, "<node><pool type='dir'><name>p</name><target><path>/p</path></target>"+
		"<volume type='file'><name>spare.qcow2</name><capacity unit='bytes'>1048576</capacity><allocation unit='bytes'>4096</allocation>"+
		"<target><path>/p/spare.qcow2</path><format type='qcow2'/></target></volume></pool></node>")
	code, out, errOut := hv(t, "pool", "vol-delete", "p", "spare.qcow2", "--connect", uri)
	if code != 2 || out != "" || !strings.Contains(errOut, "Deleting spare.qcow2 (4K on disk) destroys its data for good") ||
		!strings.Contains(errOut, "add --yes") {
		t.Errorf("without --yes: exit %d, stderr %q", code, errOut)
	}
	code, out, errOut = hv(t, "pool", "vol-delete", "p", "spare.qcow2", "--yes", "--connect", uri)
	if code != 0 || out != "deleted volume spare.qcow2 from pool p\n" {
		t.Errorf("with --yes: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func writeHost(t *testing.T, xml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "host.xml")
	if err := os.WriteFile(path, []byte(xml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
