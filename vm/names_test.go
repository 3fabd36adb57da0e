package vm

import (
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
