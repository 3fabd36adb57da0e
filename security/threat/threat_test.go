package threat

import "testing"

func TestSeverityRoundTrip(t *testing.T) {
	for _, s := range Severities() {
		got, err := ParseSeverity(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSeverity(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("an unknown severity must be an error")
	}
	if got, _ := ParseSeverity(" HIGH "); got != High {
		t.Errorf("case and spaces should not matter, got %v", got)
	}
}
