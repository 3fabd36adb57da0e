package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDoctorJSONOnTheDemo(t *testing.T) {
	code, out, errOut := hv(t, "doctor", "--demo", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var d doctorJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !d.Libvirt.ReadWrite || !d.Libvirt.ReadOnly || d.User == "" || len(d.Capabilities) != 8 || len(d.Host) != 5 {
		t.Fatalf("%+v", d)
	}
	for _, c := range d.Capabilities {
		if c.Why == "" {
			t.Errorf("%s has no reason", c.ID)
		}
	}
	if d.Apply.Installed || !strings.Contains(d.Apply.Unknown, "demo") {
		t.Errorf("the demo has no apply service: %+v", d.Apply)
	}
}
