package vm

import (
	"slices"
	"strings"
	"testing"
)

func TestFilter(t *testing.T) {
	vms := []VM{
		{Name: "web-01", State: StateRunning, Autostart: true, Persistent: true},
		{Name: "web-02", State: StatePaused, Persistent: true},
		{Name: "db-primary", State: StateRunning, Autostart: true, Persistent: true},
		{Name: "Scratch", State: StateShutOff, Host: "lab-b"},
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"web-01", "web-02", "db-primary", "Scratch"}},
		{"web", []string{"web-01", "web-02"}},
		{"WEB-0", []string{"web-01", "web-02"}},
		{"scratch", []string{"Scratch"}},
		{"state:running", []string{"web-01", "db-primary"}},
		{"state:off", []string{"Scratch"}},
		{"state:paused web", []string{"web-02"}},
		{"-state:running", []string{"web-02", "Scratch"}},
		{"!web", []string{"db-primary", "Scratch"}},
		{"autostart:yes", []string{"web-01", "db-primary"}},
		{"autostart:no persistent:yes", []string{"web-02"}},
		{"*-0?", []string{"web-01", "web-02"}},
		{"d*", []string{"db-primary"}},
		{"name:db", []string{"db-primary"}},
		{"State:Running", []string{"web-01", "db-primary"}},
		{"host:lab-b", []string{"Scratch"}},
		{"host:LAB-*", []string{"Scratch"}},
		{"host:b", nil}, // a host's whole name, not a part of it
		{"-host:lab-b web", []string{"web-01", "web-02"}},
		{"nothing-matches", nil},
	}
	for _, tt := range tests {
		f, err := ParseFilter(tt.query)
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", tt.query, err)
		}
		var got []string
		for _, v := range vms {
			if f.Match(v) {
				got = append(got, v.Name)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("filter %q matched %v, want %v", tt.query, got, tt.want)
		}
	}
}

func TestFilterErrorsNameTheFix(t *testing.T) {
	for query, wantInErr := range map[string]string{
		"state:sleepy":   "running, paused, off",
		"colour:blue":    "use state:",
		"autostart:many": "yes or no",
	} {
		_, err := ParseFilter(query)
		if err == nil || !strings.Contains(err.Error(), wantInErr) {
			t.Errorf("ParseFilter(%q) error = %v, want it to mention %q", query, err, wantInErr)
		}
	}
	// The good terms of a query with a bad one still filter.
	f, err := ParseFilter("web state:sleepy")
	if err == nil || !f.Match(VM{Name: "web-01"}) || f.Match(VM{Name: "db"}) {
		t.Errorf("a bad term should be reported and the good ones kept: err=%v", err)
	}
}
