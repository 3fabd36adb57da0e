package vm

import "testing"

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
