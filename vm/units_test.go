package vm

import (
	"testing"
)

func TestFormatBytes(t *testing.T) {
	for in, want := range map[float64]string{
		0: "0", 512: "512", 1023: "1023", 1024: "1K", 1536: "1.5K",
		10 * 1024: "10K", 1 << 30: "1G", 64 << 30: "64G", 2.5 * (1 << 40): "2.5T", -5: "0",
	} {
		if got := FormatBytes(in); got != want {
			t.Errorf("FormatBytes(%v) = %q, want %q", in, got, want)
		}
	}
	if got := FormatKiB(2 * 1024 * 1024); got != "2G" {
		t.Errorf("FormatKiB(2 GiB) = %q", got)
	}
}

func TestParseSize(t *testing.T) {
	const MiB = 1 << 20
	for in, want := range map[string]uint64{
		"512": 512 * MiB, "512M": 512 * MiB, "4G": 4 << 30, "4GiB": 4 << 30, "4gb": 4 << 30,
		"1.5T": 3 << 39, " 2 G ": 2 << 30, "100K": 100 << 10,
	} {
		got, err := ParseSize(in, MiB)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "big", "-1G", "4X", "1e30T"} {
		if _, err := ParseSize(bad, MiB); err == nil {
			t.Errorf("ParseSize(%q) should fail", bad)
		}
	}
}
