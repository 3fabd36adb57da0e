package vm

import (
	"errors"
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	for name, want := range map[string]string{
		"web-01": "", "données": "", "db_primary.2": "",
		"": "required", "a/b": "'/'", "-rf": "start with '-'", " web": "spaces",
		"tab\tname": "control", "rtl\u202eexe": "invisible", strings.Repeat("x", 101): "at most 100",
	} {
		err := ValidName("VM", name)
		switch {
		case want == "" && err != nil:
			t.Errorf("ValidName(%q) = %v, want ok", name, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("ValidName(%q) = %v, want an error mentioning %q", name, err, want)
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"lab", "lab-2", "web_01.qcow2", "a+b", "lab 2"} {
		if err := CheckName("define network", "network", ok); err != nil {
			t.Errorf("CheckName(%q): %v", ok, err)
		}
	}
	for name, why := range map[string]string{
		"": "name is required", "-lab": "start with '-'", "a/b": "'/'", "..": "is not a network name",
		".": "is not a network name", "x\u009b2J": "control",
	} {
		err := CheckName("define network", "network", name)
		if !errors.Is(err, ErrInvalidArg) || !strings.Contains(err.Error(), why) || Fix(err) == "" {
			t.Errorf("CheckName(%q) = %v (fix %q), want ErrInvalidArg saying %q and a fix", name, err, Fix(err), why)
		}
	}
}
